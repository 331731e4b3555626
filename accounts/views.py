import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.contrib.auth.views import LoginView
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.actions import (
    TokenError,
    confirm_email,
    create_api_token,
    read_confirmation,
    revoke_api_token,
    send_address_taken,
    send_confirmation,
    sign_up,
    throttle,
    update_reader_settings,
)
from accounts.forms import (
    DEVICE_COOKIE,
    DEVICE_MAX_AGE,
    SIGNUPS_PER_ADDRESS,
    ApiTokenForm,
    ReaderSettingsForm,
    SignupForm,
    ThrottledAuthenticationForm,
    client_address,
    device_cookie_value,
    safe_next,
)
from accounts.models import ApiToken, User


def remember_device(response: HttpResponse, user: User) -> None:
    """Mark this browser as one the reader signs in from: the name's failure waits skip it."""
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie_value(user),
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


class SignInView(LoginView):
    authentication_form = ThrottledAuthenticationForm

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        remember_device(response, form.get_user())
        return response


def signup(request: HttpRequest) -> HttpResponse:
    """New accounts are confirmed by email before they sign in. An address already in use gets
    the same answer (its owner is told by email), so this page reveals nobody's account."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    next_page = safe_next(request)
    if request.method == "POST" and form.is_valid():
        if not throttle(
            f"signup:ip:{client_address(request)}", limit=SIGNUPS_PER_ADDRESS,
            window=dt.timedelta(hours=1),
        ):  # fmt: skip
            form.add_error(
                None,
                f"{SIGNUPS_PER_ADDRESS} accounts were created from your network in the past "
                "hour, the most we allow. Please try again later.",
            )
            return render(request, "accounts/signup.html", {"form": form, "next": next_page})
        email = form.cleaned_data["email"]
        owner = User.objects.filter(email__iexact=email).first()
        if owner is not None and owner.email_verified_at is None and not owner.is_staff:
            # Nobody ever proved this address: an unconfirmed account holds it no longer than
            # the next sign-up (so a stranger cannot squat a reader's address).
            owner.delete()
            owner = None
        if owner is not None:
            send_address_taken(owner, sender=client_address(request))
            make_password(form.cleaned_data["password1"])  # as long as the other branch takes
        else:
            try:
                user = sign_up(form.cleaned_data["username"], email, form.cleaned_data["password1"])
            except IntegrityError:
                pass  # the same address or name, a moment ago: answered as for a taken one
            else:
                send_confirmation(user, next_page, sender=client_address(request))
        request.session[CHECK_EMAIL] = email
        return redirect("accounts:check_email")
    return render(request, "accounts/signup.html", {"form": form, "next": next_page})


CHECK_EMAIL = "accounts.check_email"


def check_email(request: HttpRequest) -> HttpResponse:
    email = request.session.get(CHECK_EMAIL, "your address")
    return render(request, "accounts/check_email.html", {"email": email})


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners open links), POST confirms the address and signs the reader in:
    the link proves they hold the address, as a password reset link would."""
    found = read_confirmation(token)
    if found is None:
        return render(request, "accounts/confirm.html", {"invalid": True}, status=400)
    user, next_page = found
    if request.method != "POST":
        return render(request, "accounts/confirm.html", {"user": user})
    confirm_email(user)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, "Your address is confirmed: alerts can reach you by email.")
    response = redirect(next_page or "topics:index")
    remember_device(response, user)
    return response


@login_required
@require_POST
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    reader = request.user
    assert isinstance(reader, User)
    if reader.email and reader.email_verified_at is None and send_confirmation(reader):
        messages.success(request, f"We have sent a new link to {reader.email}.")
    else:
        messages.error(request, "No link sent: the address is confirmed, or had three this hour.")
    return redirect("accounts:settings")


@login_required
def reader_settings(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = ReaderSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        update_reader_settings(request.user, **{f: form.cleaned_data[f] for f in form.changed_data})
        messages.success(request, "Your settings are saved.")
        return redirect("accounts:settings")
    return render(request, "accounts/settings.html", {"form": form})


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Make and revoke API tokens. A new token is shown on this one answer and never again
    (only its hash is kept), so the page is not cached anywhere."""
    user = request.user
    assert isinstance(user, User)
    form = ApiTokenForm(user=user)
    new_token = ""
    if request.method == "POST":
        if "revoke" in request.POST:
            raw_id = request.POST["revoke"]
            token = (
                ApiToken.objects.filter(user=user, pk=int(raw_id)).first()
                if raw_id.isdigit() else None
            )  # fmt: skip
            if token is not None:
                revoke_api_token(token)
                messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
            return redirect("accounts:api_tokens")
        form = ApiTokenForm(request.POST, user=user)
        if form.is_valid():
            days = form.cleaned_data["expires_in_days"]
            expires = timezone.now() + dt.timedelta(days=days) if days else None
            try:
                _, new_token = create_api_token(
                    user, form.cleaned_data["name"], form.cleaned_data["scopes"],
                    expires_at=expires,
                )  # fmt: skip
            except TokenError as exc:
                form.add_error(None, str(exc))
            else:
                form = ApiTokenForm(user=user)
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    response = render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token, "now": timezone.now()},
    )
    response["Cache-Control"] = "no-store"
    return response
