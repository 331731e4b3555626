from django.urls import path

from comments import views

app_name = "comments"
urlpatterns = [
    path("on/<slug:slug>/", views.post, name="post"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/moderate/", views.moderate, name="moderate"),
    path("replies/stop/<str:token>/", views.stop, name="stop_replies"),
]
