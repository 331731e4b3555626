from django.db import models
from django.utils import timezone


class Schedule(models.Model):
    """Periodic work. Any number of schedulers may tick this table: a run is claimed by moving
    `next_run_at` forward with a conditional update, so each slot runs once."""

    name = models.SlugField(max_length=100, unique=True)
    task = models.CharField(
        max_length=200, help_text="Dotted path of a django_tasks task that takes no arguments."
    )
    every = models.DurationField(help_text="Time between runs; missed runs are not caught up.")
    next_run_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
