from django.urls import path

from stories import api

app_name = "api"
urlpatterns = [
    path("stories/", api.story_list, name="stories"),
    path("stories/<slug:slug>/", api.story_detail, name="story"),
    path("stories/<slug:slug>/comments/", api.story_comments, name="comments"),
]
