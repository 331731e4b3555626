from django_tasks import task

from alerts import actions


@task()
def fan_out_task(event_id: int) -> int:
    return actions.fan_out(event_id)


@task()
def deliver_due_task() -> int:
    return actions.deliver_due()


@task()
def sweep_task() -> dict[str, int]:
    return actions.sweep()


@task()
def send_due_digests_task() -> int:
    return actions.send_due_digests()
