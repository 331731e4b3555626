from django_tasks import task

from ingest.actions import due_source_ids, poll_source


@task()
def poll_source_task(source_id: int) -> dict[str, object]:
    return poll_source(source_id).as_dict()


@task()
def poll_due_sources() -> int:
    """Run by the Schedule every minute: one task per due feed, so feeds poll in parallel."""
    ids = due_source_ids()
    for source_id in ids:
        poll_source_task.enqueue(source_id)
    return len(ids)
