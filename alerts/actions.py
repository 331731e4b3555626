import datetime as dt

from django.utils import timezone
from django.utils.module_loading import import_string

from alerts.models import Schedule


def ensure_schedule(name: str, task: str, every: dt.timedelta) -> Schedule:
    schedule, _ = Schedule.objects.get_or_create(name=name, defaults={"task": task, "every": every})
    return schedule


def tick_schedules(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every due schedule's task once; returns the names this call claimed."""
    now = now or timezone.now()
    claimed = []
    for schedule in Schedule.objects.filter(enabled=True, next_run_at__lte=now):
        won = Schedule.objects.filter(id=schedule.id, next_run_at=schedule.next_run_at).update(
            next_run_at=now + schedule.every, last_run_at=now
        )
        if won:
            import_string(schedule.task).enqueue()
            claimed.append(schedule.name)
    return claimed
