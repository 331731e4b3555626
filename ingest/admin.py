from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ingest.actions import poll_source
from ingest.models import IngestedItem, Source
from tidings.admin import ModelAdmin


@admin.register(Source)
class SourceAdmin(ModelAdmin):
    list_display = ("__str__", "publish", "poll_every", "last_polled_at", "next_poll_at",
                    "failures", "paused")  # fmt: skip
    list_filter = ("paused", "publish")
    search_fields = ("url", "title")
    readonly_fields = ("etag", "last_modified", "last_polled_at", "failures", "last_error",
                       "created_at")  # fmt: skip
    actions = ["poll_now"]

    @admin.action(description="Poll the selected feeds now")
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        for source in queryset:
            result = poll_source(source.id, force=True)
            level = messages.ERROR if result.status == "failed" else messages.SUCCESS
            detail = "; ".join(result.errors) or (
                f"{len(result.created)} new, {len(result.duplicates)} duplicates, "
                f"{result.seen} seen before"
            )
            self.message_user(request, f"{source}: {result.status} — {detail}", level)


@admin.register(IngestedItem)
class IngestedItemAdmin(ModelAdmin):
    list_display = ("__str__", "source", "story", "duplicate_of", "similarity", "created_at")
    list_filter = ("source",)
    search_fields = ("guid", "url")
    raw_id_fields = ("story", "duplicate_of")
    readonly_fields = ("key", "created_at")
