from django.contrib import admin

from topics.models import StoryTopic, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "reviewed", "merged_into", "created_at")
    list_filter = ("kind", "reviewed")
    search_fields = ("name", "slug", "aliases")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("merged_into",)


@admin.register(StoryTopic)
class StoryTopicAdmin(admin.ModelAdmin):
    list_display = ("story", "topic", "role", "salience", "origin")
    list_filter = ("role", "origin", "topic__kind")
    search_fields = ("story__headline", "topic__name")
    autocomplete_fields = ("story", "topic")
