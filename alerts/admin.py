from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from alerts.actions import retry_delivery
from alerts.models import (
    Alert,
    Delivery,
    Digest,
    Event,
    Follow,
    Schedule,
    WebhookEndpoint,
)
from tidings.admin import ModelAdmin


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "task", "every", "next_run_at", "last_run_at", "enabled")
    list_editable = ("enabled",)


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ("reader", "topic", "cadence", "scope", "muted", "snoozed_until")
    list_filter = ("cadence", "scope", "muted")
    search_fields = ("reader__username", "topic__name")
    raw_id_fields = ("reader", "topic")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("story", "kind", "created_at", "fanned_out_at", "alert_count")
    list_filter = ("kind",)
    raw_id_fields = ("story",)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("story", "reader", "cadence", "created_at", "read_at")
    list_filter = ("cadence",)
    search_fields = ("reader__username", "story__headline")
    raw_id_fields = ("reader", "story", "event", "digest")
    # The packed reasons are the fan-out's to write: shown in words, never edited.
    exclude = ("reasons",)
    readonly_fields = ("why",)

    @admin.display(description="Reasons")
    def why(self, alert: Alert) -> str:
        return "; ".join(str(reason) for reason in alert.reason_list) or "-"


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Delivery health: what is waiting, failing or dead, and why; dead ones can be retried."""

    list_display = ("id", "channel", "reader", "state", "attempts", "next_attempt_at", "sent_at",
                    "last_error")  # fmt: skip
    list_filter = ("state", "channel")
    search_fields = ("reader__username", "last_error")
    raw_id_fields = ("reader", "alert", "digest", "endpoint", "merged_into")
    actions = ["retry"]

    @admin.action(description="Retry the selected deliveries now", permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        for delivery in queryset.exclude(state=Delivery.State.SENT):
            retry_delivery(delivery)
        self.message_user(request, "Queued for another try.", messages.SUCCESS)


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ("reader", "period", "period_start", "created_at")
    list_filter = ("period",)
    raw_id_fields = ("reader",)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ModelAdmin):
    list_display = ("url", "reader", "enabled", "disabled_reason", "created_at")
    list_filter = ("enabled",)
    raw_id_fields = ("reader",)
