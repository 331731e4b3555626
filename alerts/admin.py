from django.contrib import admin

from alerts.models import Schedule


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "task", "every", "next_run_at", "last_run_at", "enabled")
    list_editable = ("enabled",)
