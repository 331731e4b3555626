from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from reuse.actions import ReuseError, decide_request
from reuse.models import ReuseRequest


@admin.register(ReuseRequest)
class ReuseRequestAdmin(admin.ModelAdmin):
    list_display = ("story", "organisation", "medium", "territory", "status", "created_at")
    list_filter = ("status", "medium")
    search_fields = ("organisation", "contact_name", "email", "story__headline")
    readonly_fields = (
        "story", "organisation", "contact_name", "email", "intended_use", "territory", "medium",
        "status", "decided_by", "decided_at", "created_at",
    )  # fmt: skip
    fields = (*readonly_fields, "answer")
    actions = ["approve", "decline"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[ReuseRequest], approve: bool
    ) -> None:
        assert isinstance(request.user, User)
        done = 0
        for reuse in queryset.select_related("story__publisher"):
            try:
                decide_request(reuse, request.user, approve=approve)
            except ReuseError as exc:
                self.message_user(request, f"{reuse}: {exc}", messages.WARNING)
            else:
                done += 1
        verb = "approved" if approve else "declined"
        self.message_user(request, f"{done} requests {verb}; the requesters are emailed.")

    @admin.action(description="Approve (emails the requester, with the answer and downloads)")
    def approve(self, request: HttpRequest, queryset: QuerySet[ReuseRequest]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description="Decline (emails the requester, with the answer)")
    def decline(self, request: HttpRequest, queryset: QuerySet[ReuseRequest]) -> None:
        self._decide(request, queryset, approve=False)
