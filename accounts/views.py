from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.actions import sign_up, update_reader_settings
from accounts.forms import (
    DEVICE_COOKIE,
    DEVICE_MAX_AGE,
    ReaderSettingsForm,
    SignupForm,
    ThrottledAuthenticationForm,
    device_cookie_value,
)
from accounts.models import User


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


def safe_next(request: HttpRequest) -> str:
    """The `next` page asked for, if it is on this site; else an empty string."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    next_page = safe_next(request)
    if request.method == "POST" and form.is_valid():
        user = sign_up(
            form.cleaned_data["username"],
            form.cleaned_data["email"],
            form.cleaned_data["password1"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if next_page:  # back where they were, with the follow they clicked made by the login
            messages.success(request, "Welcome to tidings.")
            response = redirect(next_page)
        else:
            messages.success(request, "Welcome. Follow a few topics to get alerts on new stories.")
            response = redirect("topics:index")
        remember_device(response, user)
        return response
    return render(request, "accounts/signup.html", {"form": form, "next": next_page})


@login_required
def reader_settings(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = ReaderSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        update_reader_settings(request.user, **{f: form.cleaned_data[f] for f in form.changed_data})
        messages.success(request, "Your settings are saved.")
        return redirect("accounts:settings")
    return render(request, "accounts/settings.html", {"form": form})
