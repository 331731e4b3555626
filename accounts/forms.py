import datetime as dt
import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.http import HttpRequest

from accounts.actions import throttle
from accounts.models import User

LOGIN_WINDOW = dt.timedelta(minutes=15)
LOGIN_LIMIT_PER_NAME = 5
LOGIN_LIMIT_PER_ADDRESS = 30


def client_address(request: HttpRequest | None) -> str:
    # REMOTE_ADDR only: behind a proxy, the proxy must set it (gunicorn --forwarded-allow-ips).
    return (request.META.get("REMOTE_ADDR") if request else None) or "unknown"


def reader_of(request: HttpRequest) -> User:
    """The signed-in reader, for views behind login_required."""
    assert isinstance(request.user, User)
    return request.user


class ThrottledAuthenticationForm(AuthenticationForm):
    """Sign-in that stops guessing: a few tries per name, more per address, per 15 minutes."""

    def clean(self) -> dict[str, object]:
        name = (self.data.get("username") or "").strip().lower()
        keys = [
            (f"login:name:{name}", LOGIN_LIMIT_PER_NAME),
            (f"login:ip:{client_address(self.request)}", LOGIN_LIMIT_PER_ADDRESS),
        ]
        for key, limit in keys:
            if not throttle(key, limit=limit, window=LOGIN_WINDOW, record=False):
                raise forms.ValidationError(
                    "Too many failed sign-in attempts. Wait 15 minutes, or reset your password.",
                    code="throttled",
                )
        try:
            return super().clean()
        except forms.ValidationError:
            for key, limit in keys:
                throttle(key, limit=limit, window=LOGIN_WINDOW)
            raise


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="Alerts, digests and password resets go here.")

    class Meta:
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account already uses this address; sign in instead.")
        return str(email)


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

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if (data.get("quiet_start") is None) != (data.get("quiet_end") is None):
            raise forms.ValidationError("Give both ends of your quiet hours, or neither.")
        return data
