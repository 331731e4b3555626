from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("settings/", views.reader_settings, name="settings"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("signup/check-email/", views.check_email, name="check_email"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("confirm-again/", views.resend_confirmation, name="resend_confirmation"),
]
