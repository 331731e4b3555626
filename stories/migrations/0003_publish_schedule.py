import datetime as dt

from django.db import migrations

from alerts.schedules import schedule_operation


class Migration(migrations.Migration):
    dependencies = [("stories", "0002_initial"), ("alerts", "0001_initial")]

    operations = [
        schedule_operation(
            "publish-scheduled-stories",
            "stories.tasks.publish_due_stories_task",
            dt.timedelta(minutes=1),
        ),
    ]
