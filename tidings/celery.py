"""The Celery app for the scale-out mode (TASKS_BACKEND=celery): `celery -A tidings.celery worker`.

There is one Celery task, `tidings.run`, which runs any django_tasks task by its dotted path, so
the task code is the same on the database worker and on Celery and nothing is registered twice.
A message is acknowledged only after its task ran (acks_late), and one whose worker died is
given back to the broker (reject_on_worker_lost): a SIGKILL loses nothing, and every task takes
ids and is safe to run twice, so running it again is harmless.
"""

import os
from typing import Any

from celery import Celery  # type: ignore[import-untyped]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")

app = Celery("tidings")
# CELERY_* settings (tidings/settings.py); Celery's Django fixup sets Django up in each worker
# and closes database connections between tasks.
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="tidings.run", acks_late=True, reject_on_worker_lost=True)
def run(path: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    from django.utils.module_loading import import_string
    from django_tasks.base import Task

    task = import_string(path)
    if not isinstance(task, Task):  # a message names code to run: only our tasks qualify
        raise TypeError(f"{path} is not a django_tasks task")
    return task.call(*args, **kwargs)
