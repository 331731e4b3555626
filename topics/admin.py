from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from topics.actions import merge_topics, reject_topics
from topics.models import StoryTopic, Topic
from topics.signals import stories_retopiced


class ReviewedFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "proposed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Proposed by the tagger, not yet reviewed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Topic]) -> QuerySet[Topic]:
        if self.value() == "yes":
            return queryset.filter(reviewed=False, merged_into__isnull=True)
        return queryset


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "reviewed", "rejected", "story_count", "follower_count",
                    "merged_into")  # fmt: skip
    list_filter = (ReviewedFilter, "kind", "reviewed", "rejected")
    search_fields = ("name", "slug", "aliases")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("merged_into",)
    actions = ["mark_reviewed", "reject"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "slug",
                    "kind",
                    "aliases",
                    "description",
                    "reviewed",
                    "rejected",
                ),
                "description": "A kind or alias set here is what the tagger uses on every later "
                "story; a rejected topic is never proposed again.",
            },
        ),
        (
            "Merge",
            {
                "fields": ("merged_into",),
                "description": "Choose the topic this one duplicates: its stories, followers "
                "and names move there, and its page redirects. This cannot be undone.",
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                stories=Count("story_topics", distinct=True),
                followers=Count("follows", distinct=True),
            )
        )

    @admin.action(description="Reject: not a topic (never proposed again)", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Topic]) -> None:
        n = reject_topics(queryset)
        self.message_user(request, f"{n} topics rejected; the tagger will not propose them again.")

    @admin.display(description="Stories", ordering="stories")
    def story_count(self, topic: Any) -> int:
        return int(topic.stories)

    @admin.display(description="Followers", ordering="followers")
    def follower_count(self, topic: Any) -> int:
        return int(topic.followers)

    def save_model(self, request: HttpRequest, obj: Topic, form: Any, change: bool) -> None:
        survivor = obj.merged_into if "merged_into" in form.changed_data else None
        if change and "kind" in form.changed_data:
            obj.reviewed = True  # an editor's kind is final: later stories no longer weigh it
        if survivor is None:
            super().save_model(request, obj, form, change)
            if change and "name" in form.changed_data:  # stories are found by its name
                stories = obj.story_topics.values_list("story_id", flat=True)
                stories_retopiced.send(sender=Topic, story_ids=list(stories))
            return
        obj.merged_into = None  # merge_topics sets it, after moving everything
        super().save_model(request, obj, form, change)
        try:
            merge_topics(obj, survivor)
        except ValueError as exc:
            self.message_user(request, f"Not merged: {exc}", messages.ERROR)
            return
        self.message_user(request, f"{obj.name} merged into {survivor.name}.")

    @admin.action(description="Mark selected topics as reviewed")
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet[Topic]) -> None:
        count = 0
        for topic in queryset.filter(reviewed=False):
            topic.reviewed = True
            topic.save(update_fields=["reviewed", "updated_at"])
            count += 1
        self.message_user(request, f"{count} topics marked as reviewed.")


@admin.register(StoryTopic)
class StoryTopicAdmin(admin.ModelAdmin):
    list_display = ("story", "topic", "role", "salience", "origin", "why")
    readonly_fields = ("evidence",)
    list_filter = ("role", "origin", "topic__kind")
    search_fields = ("story__headline", "topic__name")
    autocomplete_fields = ("story", "topic")
    actions = ["pin", "unpin"]

    @admin.display(description="Why proposed")
    def why(self, row: StoryTopic) -> str:
        evidence = row.evidence or {}
        if not evidence:
            return "an editor's choice" if row.origin == StoryTopic.Origin.EDITOR else ""
        forms = ", ".join(f"“{f}”" for f in evidence.get("forms", []))
        listed = "; the page listed it" if evidence.get("listed_by_page") else ""
        return (
            f"{evidence.get('mentions', 0)} mentions ({forms}); kind {evidence.get('kind')} from "
            f"{evidence.get('kind_from')}{listed}"
        )

    @admin.action(description="Pin: keep through re-tagging (editor's topic)")
    def pin(self, request: HttpRequest, queryset: QuerySet[StoryTopic]) -> None:
        n = queryset.update(origin=StoryTopic.Origin.EDITOR)
        self.message_user(request, f"{n} topics pinned.")

    @admin.action(description="Unpin: the tagger decides next time")
    def unpin(self, request: HttpRequest, queryset: QuerySet[StoryTopic]) -> None:
        n = queryset.update(origin=StoryTopic.Origin.TAGGER)
        self.message_user(request, f"{n} topics unpinned.")
