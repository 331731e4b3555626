from django_tasks import task

from stories.actions import publish_due_stories, publish_if_due


@task()
def publish_scheduled_story(story_id: int) -> bool:
    return publish_if_due(story_id)


@task()
def publish_due_stories_task() -> int:
    """The sweeper's share: catches scheduled stories whose own task was lost."""
    return publish_due_stories()
