from django_tasks import task

from alerts import actions


@task()
def fan_out_task(event_id: int) -> int:
    return actions.fan_out(event_id)


@task()
def deliver_due_task() -> int:
    # More waiting than one call sends: the next call is queued first, so that another worker
    # takes the next batch at the same time (the claims keep them apart) and nothing waits
    # for the sweeper.
    if actions.more_due_than(actions.DELIVER_LIMIT):
        actions.ring_doorbell()
    return actions.deliver_due(actions.DELIVER_LIMIT)


@task()
def sweep_task() -> dict[str, int]:
    return actions.sweep()


@task()
def send_due_digests_task() -> int:
    return actions.send_due_digests()
