from django.urls import path

from topics import views
from topics.feeds import TopicFeed

app_name = "topics"
urlpatterns = [
    path("", views.topic_index, name="index"),
    path("<slug:slug>/", views.topic_detail, name="detail"),
    path("<slug:slug>/feed/", TopicFeed(), name="feed"),
]
