import datetime as dt

from django.db import migrations

from alerts.schedules import schedule_operation


class Migration(migrations.Migration):
    dependencies = [("ingest", "0001_initial"), ("alerts", "0001_initial")]

    operations = [
        schedule_operation("poll-feeds", "ingest.tasks.poll_due_sources", dt.timedelta(minutes=1)),
    ]
