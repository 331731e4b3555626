from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from accounts.forms import (
    ConfirmingSetPasswordForm,
    ThrottledAdminAuthenticationForm,
    ThrottledPasswordResetForm,
)
from accounts.views import SignInView
from stories.views import home
from tidings.api import api
from tidings.views import healthz, media

admin.site.site_header = "tidings newsroom"
admin.site.site_title = "tidings"
# The newsroom's door is throttled like the site's: the same per-name waits and address limit.
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("", home, name="home"),
    path("stories/", include("stories.urls")),
    path("topics/", include("topics.urls")),
    path("search/", include("search.urls")),
    path("reuse/", include("reuse.urls")),
    path("comments/", include("comments.urls")),
    path("api/v1/", api.urls),
    path("api/", include("stories.api_urls")),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("accounts.urls")),
    # Password reset and change, with the templates in tidings/templates/registration/.
    path("account/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "account/reset/",
        auth_views.PasswordResetView.as_view(form_class=ThrottledPasswordResetForm),
        name="password_reset",
    ),
    path(
        "account/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "account/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=ConfirmingSetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "account/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("alerts/", include("alerts.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Feed readers and old browsers ask for /favicon.ico without reading the page.
    path("favicon.ico", RedirectView.as_view(url=static("tidings/favicon.svg"), permanent=True)),
]

if settings.SERVE_MEDIA:
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [
        re_path(rf"^{media_prefix}(?P<path>.*)$", media, name="media"),
    ]
