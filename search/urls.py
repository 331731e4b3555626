from django.urls import path

from search import views

app_name = "search"
urlpatterns = [
    path("", views.results, name="results"),
    path("save/", views.save, name="save"),
    path("saved/<int:search_id>/", views.edit, name="edit"),
    path("saved/<int:search_id>/delete/", views.delete, name="delete"),
]
