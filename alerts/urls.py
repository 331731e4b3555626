from django.urls import path

from alerts import views
from alerts.feeds import ReaderAlertsFeed

app_name = "alerts"
urlpatterns = [
    path("follow/<slug:slug>/", views.follow, name="follow"),
    path("my/topics/", views.my_topics, name="my_topics"),
    path("my/topics/<int:follow_id>/", views.edit_follow, name="edit_follow"),
    path("my/topics/export.<str:fmt>", views.export_follows, name="export"),
    path("my/topics/import/", views.import_follows, name="import"),
    path("my/feed/", views.my_feed, name="my_feed"),
    path("notifications/", views.notifications, name="notifications"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("one-click/<str:token>/", views.one_click, name="one_click"),
    path("feeds/<str:token>/", ReaderAlertsFeed(), name="reader_feed"),
]
