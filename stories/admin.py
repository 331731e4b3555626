from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from search.actions import index_story
from stories.actions import flag_significant_update, publish_story, unpublish_story
from stories.models import Image, Publisher, Story
from tidings.admin import ModelAdmin
from topics.actions import sync_primary_topic, tag_stories
from topics.models import StoryTopic


@admin.register(Publisher)
class PublisherAdmin(ModelAdmin):
    list_display = ("name", "copyright_holder", "default_licence")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "copyright_holder")


@admin.register(Image)
class ImageAdmin(ModelAdmin):
    list_display = ("thumbnail", "display_caption", "photographer", "agency", "created_at")
    search_fields = ("display_caption", "caption", "photographer", "agency", "alt_text")
    list_filter = ("agency",)
    readonly_fields = ("thumbnail",)

    @admin.display(description="Photo")
    def thumbnail(self, image: Image) -> str:
        if not image.src:
            return "—"
        return format_html('<img src="{}" alt="" style="max-height:60px">', image.src)


class StoryTopicInline(admin.TabularInline):
    model = StoryTopic
    extra = 1
    autocomplete_fields = ("topic",)
    fields = ("topic", "role", "salience", "origin")


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = (
        "headline",
        "status",
        "published_at",
        "primary_topic",
        "comments_enabled",
        "reusable",
        "preview_link",
    )
    list_filter = ("status", "publisher", "comments_enabled", "reusable", "primary_topic__kind")
    search_fields = ("headline", "standfirst", "byline", "body", "slug")
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ("headline",)}
    autocomplete_fields = ("primary_topic", "lead_image")
    readonly_fields = ("status", "created_by", "created_at", "updated_at", "preview_link")
    inlines = [StoryTopicInline]
    actions = ["publish_selected", "unpublish_selected", "send_update_alerts", "retag_selected"]
    list_select_related = ("primary_topic",)
    fieldsets = (
        (None, {"fields": ("headline", "slug", "standfirst", "byline", "publisher")}),
        ("Body", {"fields": ("body_format", "body", "lead_image")}),
        ("Topics", {"fields": ("primary_topic", "topic_hint")}),
        (
            "Publishing",
            {
                "fields": (
                    "status",
                    "published_at",
                    "comments_enabled",
                    "comments_premoderated",
                    "preview_link",
                )
            },
        ),
        (
            "Rights",
            {
                "fields": (
                    "reusable",
                    "licence",
                    "copyright_holder",
                    "copyright_year",
                    "attribution",
                )
            },
        ),
        ("Record", {"classes": ["collapse"], "fields": ("created_by", "created_at", "updated_at")}),
    )

    def save_model(self, request: HttpRequest, obj: Story, form: object, change: bool) -> None:
        if not change and request.user.is_authenticated:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # After the inline topics are saved, so that the alerts see them. Choosing "published"
        # or "scheduled" in the form is the same act as the publish action.
        story = form.instance
        if "primary_topic" in form.changed_data:
            sync_primary_topic(story)  # the editor's choice: pinned through re-tagging
        if "status" in form.changed_data and story.status != Story.Status.DRAFT:
            publish_story(story, at=story.published_at)
        else:
            # A correction must stop the old words being found, and the new ones be found.
            index_story(story)

    @admin.display(description="Preview")
    def preview_link(self, story: Story) -> str:
        if not story.pk:
            return "—"
        url = reverse("stories:preview", args=[story.slug])
        return format_html('<a href="{}" target="_blank" rel="noopener">Preview</a>', url)

    @admin.action(description="Publish selected stories (scheduled ones at their time)")
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Story]) -> None:
        for story in queryset:
            publish_story(
                story, at=story.published_at if story.status != Story.Status.PUBLISHED else None
            )
        self.message_user(request, f"{queryset.count()} stories published or scheduled.")

    @admin.action(description="Significant update: alert followers not yet alerted")
    def send_update_alerts(self, request: HttpRequest, queryset: QuerySet[Story]) -> None:
        published = queryset.filter(status=Story.Status.PUBLISHED)
        for story in published:
            flag_significant_update(story)
        self.message_user(request, f"Alerts queued for {published.count()} published stories.")

    @admin.action(description="Re-tag selected stories (pinned topics stay)")
    def retag_selected(self, request: HttpRequest, queryset: QuerySet[Story]) -> None:
        stories = list(queryset.select_related("publisher", "lead_image"))
        tag_stories(stories)
        self.message_user(request, f"{len(stories)} stories re-tagged.")

    @admin.action(description="Unpublish selected stories (back to draft)")
    def unpublish_selected(self, request: HttpRequest, queryset: QuerySet[Story]) -> None:
        for story in queryset:
            unpublish_story(story)
        self.message_user(request, f"{queryset.count()} stories unpublished.", messages.WARNING)
