from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.actions import sign_up, update_reader_settings
from accounts.forms import ReaderSettingsForm, SignupForm
from accounts.models import User


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
            return redirect(next_page)
        messages.success(request, "Welcome. Follow a few topics to get alerts on new stories.")
        return redirect("topics:index")
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
