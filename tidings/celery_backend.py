"""A django_tasks backend that hands tasks to Celery (on RabbitMQ): the scale-out mode.

Evaluated first: django-tasks-fennel 0.1 does the same with more (results through a Celery
result backend, one Celery task per django_tasks task), but it gives every enqueue a random id and
needs a result backend for what our tables already record. Ours is the small part we need:
enqueue only, the same id for the same work, the broker settings that make a kill lose nothing.
"""

import hashlib
import json
import uuid
from typing import Any, TypeVar

from django.conf import settings
from django.utils import timezone
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import DEFAULT_TASK_QUEUE_NAME, Task, TaskResult, TaskResultStatus
from django_tasks.signals import task_enqueued
from typing_extensions import ParamSpec

T = TypeVar("T")
P = ParamSpec("P")


def task_id(task: Task[Any, Any], args: Any, kwargs: Any) -> str:
    """The same task with the same ids (and time) is the same job: a second enqueue of it (the
    sweeper re-driving a fan-out, say) carries the same id, which logs and monitors can match."""
    key = json.dumps(
        [task.module_path, args, kwargs, task.run_after.isoformat() if task.run_after else None],
        sort_keys=True,
        default=str,
    )
    return str(uuid.UUID(hashlib.sha256(key.encode()).hexdigest()[:32]))


class CeleryBackend(BaseTaskBackend):
    supports_defer = True
    supports_priority = True

    def enqueue(
        self,
        task: Task[P, T],
        args: P.args,  # type: ignore[valid-type]
        kwargs: P.kwargs,  # type: ignore[valid-type]
    ) -> TaskResult[T]:
        from tidings.celery import run

        self.validate_task(task)
        identifier = task_id(task, list(args), dict(kwargs))
        # django_tasks priorities run -100..100; Celery's on RabbitMQ 0..9.
        priority = round((task.priority + 100) * 9 / 200)
        run.apply_async(
            args=[task.module_path, list(args), dict(kwargs)],
            task_id=identifier,
            eta=task.run_after,
            queue=settings.CELERY_TASK_DEFAULT_QUEUE
            if task.queue_name == DEFAULT_TASK_QUEUE_NAME
            else task.queue_name,
            priority=priority,
        )
        result: TaskResult[T] = TaskResult(
            task=task,
            id=identifier,
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        task_enqueued.send(type(self), task_result=result)
        return result
