from django.urls import path

from reuse import views

app_name = "reuse"
urlpatterns = [
    path("<slug:slug>/", views.reuse_terms, name="terms"),
    path("download/<str:token>.<str:fmt>", views.download, name="download"),
]
