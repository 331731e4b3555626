from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from accounts.models import User
from comments.actions import CommentError, moderate_comment
from comments.models import Comment, CommentReport


class ReportInline(admin.TabularInline):
    model = CommentReport
    extra = 0
    fields = ("reporter", "reason", "note", "created_at", "resolved_at")
    readonly_fields = fields
    can_delete = False


class QueueFilter(admin.SimpleListFilter):
    title = "moderation queue"
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: object) -> list[tuple[str, str]]:
        return [("yes", "Reported or waiting for approval")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> QuerySet[Comment]:
        if self.value() == "yes":
            return queryset.filter(Q(open_reports__gt=0) | Q(status=Comment.Status.PENDING))
        return queryset


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """The moderation queue: most-reported first, then comments waiting for approval."""

    list_display = ("excerpt", "author", "story", "status", "open_report_count", "created_at")
    list_filter = (QueueFilter, "status")
    search_fields = ("body", "author__username", "story__headline")
    raw_id_fields = ("story", "author", "parent")
    readonly_fields = ("body_html", "ip_address", "moderated_by", "moderated_at", "edited_at")
    inlines = [ReportInline]
    actions = ["hide", "restore", "approve", "delete_comments"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Comment]:
        open_reports = Count("reports", filter=Q(reports__resolved_at__isnull=True))
        return (
            super()
            .get_queryset(request)
            .select_related("author", "story")
            .annotate(open_reports=open_reports)
            .order_by("-open_reports", "-created_at")
        )

    @admin.display(description="Comment")
    def excerpt(self, comment: Comment) -> str:
        return comment.body[:80] or "(deleted)"

    @admin.display(description="Open reports", ordering="open_reports")
    def open_report_count(self, comment: Comment) -> int:
        return int(getattr(comment, "open_reports", 0))

    def _moderate(self, request: HttpRequest, queryset: QuerySet[Comment], action: str) -> None:
        assert isinstance(request.user, User)
        done = 0
        for comment in queryset:
            try:
                moderate_comment(comment, request.user, action)
                done += 1
            except CommentError as exc:
                self.message_user(request, f"#{comment.pk}: {exc}", messages.WARNING)
        self.message_user(request, f"{done} comments: {action} done.")

    @admin.action(description="Hide selected comments")
    def hide(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._moderate(request, queryset, "hide")

    @admin.action(description="Restore selected hidden comments")
    def restore(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._moderate(request, queryset, "restore")

    @admin.action(description="Approve selected waiting comments")
    def approve(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._moderate(request, queryset, "approve")

    @admin.action(description="Delete selected comments (their text is removed)")
    def delete_comments(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._moderate(request, queryset, "delete")
