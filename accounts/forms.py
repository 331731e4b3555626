import datetime as dt
import ipaddress
import unicodedata
import zoneinfo
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordResetForm,
    SetPasswordForm,
    UserCreationForm,
    UsernameField,
)
from django.core import signing
from django.http import HttpRequest
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.actions import allowed_scopes, count_failure, throttle, wait_before_retry
from accounts.models import ApiToken, User

LOGIN_WINDOW = dt.timedelta(minutes=15)
FREE_TRIES_PER_NAME = 5  # from one client
FREE_TRIES_PER_NAME_ANYWHERE = 50  # from all clients together: then the name slows everywhere
LONGEST_WAIT = dt.timedelta(minutes=15)
LOGIN_LIMIT_PER_ADDRESS = 30
DEVICE_COOKIE = "tidings_device"
DEVICE_SALT = "accounts.device"
DEVICE_MAX_AGE = 180 * 24 * 3600


def name_key(username: str) -> str:
    """One throttle key per account name however it is typed: NFKC folds look-alikes
    (fullwidth "ｖｉｃｔｉｍ１" is "victim1"), casefold the case."""
    return unicodedata.normalize("NFKC", username).casefold().strip()


def device_user_id(request: HttpRequest | None) -> int | None:
    """The account this browser signed in to before (a signed cookie), if any."""
    value = request.COOKIES.get(DEVICE_COOKIE) if request is not None else None
    if not value:
        return None
    try:
        return int(signing.loads(value, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE))
    except (signing.BadSignature, ValueError, TypeError):
        return None


def device_cookie_value(user: User) -> str:
    return signing.dumps(user.pk, salt=DEVICE_SALT)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in settings.TRUSTED_PROXY_NETWORKS)


def client_address(request: HttpRequest | None) -> str:
    """The visitor's address, for per-address limits (sign-in, comments, reuse requests).

    The socket's address, unless it is one of TRUSTED_PROXIES: then X-Forwarded-For is read
    from the right, past every trusted proxy, and the first other address is the client's.
    Whatever a client writes into the header itself sits further left and is never believed.
    """
    if request is None:
        return "unknown"
    address = str(request.META.get("REMOTE_ADDR") or "unknown")
    if not _trusted(address):
        return address
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return "unknown"  # a proxy we trust passed on garbage: count it as one client
    return address


def safe_next(request: HttpRequest) -> str:
    """The `next` page asked for, if it is on this site; else an empty string."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


def reader_of(request: HttpRequest) -> User:
    """The signed-in reader, for views behind login_required."""
    assert isinstance(request.user, User)
    return request.user


class ThrottleSignInMixin:
    """Sign-in that stops guessing without letting a stranger lock a reader out.

    Per name (however it is typed), failures past the first few make the next try wait, longer
    each time and never more than LONGEST_WAIT; a browser the account signed in from before
    (its signed device cookie) is not made to wait. Per address, a hard limit per 15 minutes.
    """

    request: HttpRequest | None
    data: Any

    def clean(self) -> dict[str, Any]:
        name = name_key(self.data.get("username") or "")
        address = client_address(self.request)
        here = f"login:name-ip:{name}:{address}"  # this name, from this client
        everywhere = f"login:name:{name}"  # this name, from anywhere: a distributed guesser
        from_address = f"login:ip:{address}"
        known = device_user_id(self.request)
        # A browser this account signed in from before is never made to wait, whoever else
        # guesses at the name or shares the address (a NAT, a proxy we were not told of).
        trusted = (
            known is not None
            and User.objects.filter(
                pk=known, username__iexact=unicodedata.normalize("NFKC", name)
            ).exists()
        )
        if not trusted:
            if not throttle(
                from_address, limit=LOGIN_LIMIT_PER_ADDRESS, window=LOGIN_WINDOW, record=False
            ):
                raise forms.ValidationError(
                    "Too many failed sign-in attempts from your network. Wait 15 minutes, or "
                    "reset your password.",
                    code="throttled",
                )
            wait = max(
                wait_before_retry(
                    here, free=FREE_TRIES_PER_NAME, window=LOGIN_WINDOW, longest=LONGEST_WAIT
                ),
                wait_before_retry(
                    everywhere, free=FREE_TRIES_PER_NAME_ANYWHERE, window=LOGIN_WINDOW,
                    longest=LONGEST_WAIT,
                ),
            )  # fmt: skip
            if wait:
                raise forms.ValidationError(
                    f"Too many failed sign-in attempts for this name. Try again in {wait} "
                    "seconds, or reset your password.",
                    code="throttled",
                )
        try:
            data = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            for key in (here, everywhere):
                count_failure(key, window=LOGIN_WINDOW)
            throttle(from_address, limit=LOGIN_LIMIT_PER_ADDRESS, window=LOGIN_WINDOW)
            raise
        user = self.get_user()  # type: ignore[attr-defined]
        if user is not None and user.email and user.email_verified_at is None and not user.is_staff:
            # Until the reader opens our link, the account is only a claim on an address.
            raise forms.ValidationError(
                "Confirm your address first: open the link we emailed you, or ask for a new one "
                "by signing up again with the same address.",
                code="unconfirmed",
            )
        return dict(data)


class ThrottledAuthenticationForm(ThrottleSignInMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottleSignInMixin, AdminAuthenticationForm):
    """The newsroom's sign-in, with the same throttle as the site's."""


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="Alerts, digests and password resets go here.")

    class Meta:
        model = User
        fields = ("username", "email")
        field_classes = {"username": UsernameField}  # NFKC, as sign-in applies it

    def clean_username(self) -> str:
        # The field has already applied NFKC (fullwidth "ｂｏｂ" is "bob"); one name per account
        # whatever its case, so nobody signs up as a look-alike of another reader.
        username = str(self.cleaned_data["username"])
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("A user with that username already exists.")
        return username

    # An address already in use is not an error here: the view answers as it does for a new
    # one (and tells the owner by email), so the form cannot be used to find who has an account.
    def _get_validation_exclusions(self) -> set[str]:
        # The unique-address constraint is the view's business (above), not a form error.
        return {*super()._get_validation_exclusions(), "email"}  # type: ignore[misc]


def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ReaderSettingsForm(forms.ModelForm):
    timezone = forms.ChoiceField(choices=_timezone_choices)

    class Meta:
        model = User
        fields = [
            "display_name", "email", "timezone", "default_cadence", "email_alerts",
            "quiet_start", "quiet_end", "digest_time", "weekly_digest_day",
            "max_alerts_per_hour", "max_alerts_per_day",
        ]  # fmt: skip
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}),
            "digest_time": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"])
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if email and taken.exists():
            raise forms.ValidationError("This address belongs to another account.")
        return email

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if (data.get("quiet_start") is None) != (data.get("quiet_end") is None):
            raise forms.ValidationError("Give both ends of your quiet hours, or neither.")
        return data


SIGNUPS_PER_ADDRESS = 5  # new accounts per client address per hour
RESETS_PER_ADDRESS = 10  # reset requests per client address per hour


class ThrottledPasswordResetForm(PasswordResetForm):
    """Reset requests answer the same whatever happens; past the limits (per client, and
    per address through `may_mail`) nothing more is sent. Links use SITE_URL, never the
    request's Host header."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        from accounts.actions import may_mail

        request = kwargs.get("request")
        client = f"reset:ip:{client_address(request)}"
        if not throttle(client, limit=RESETS_PER_ADDRESS, window=dt.timedelta(hours=1)):
            return
        if not may_mail(self.cleaned_data["email"], client_address(request)):
            return
        site = urlsplit(settings.SITE_URL)
        kwargs.update(
            domain_override=site.netloc,
            use_https=site.scheme == "https",
            extra_email_context={"site_name": settings.SITE_NAME},
        )
        super().save(*args, **kwargs)


class ConfirmingSetPasswordForm(SetPasswordForm):
    """A new password from a reset link: the link came to the address, so it is confirmed."""

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        if user.email and user.email_verified_at is None:
            user.email_verified_at = timezone.now()
        if commit:
            user.save()
        return user


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, such as “Slack bot”.")
    scopes = forms.MultipleChoiceField(
        choices=ApiToken.Scope.choices, widget=forms.CheckboxSelectMultiple, initial=["read"]
    )
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=3650, required=False, label="Expires in (days)",
        help_text="Empty: it never expires. You can revoke it at any time.",
    )  # fmt: skip

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = allowed_scopes(user)
        field = self.fields["scopes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [c for c in ApiToken.Scope.choices if c[0] in allowed]
