from django.urls import path

from stories import views

app_name = "stories"
urlpatterns = [
    path("<slug:slug>/", views.story_detail, name="detail"),
    path("<slug:slug>/preview/", views.story_preview, name="preview"),
]
