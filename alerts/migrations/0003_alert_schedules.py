import datetime as dt

from django.db import migrations

from alerts.schedules import schedule_operation


class Migration(migrations.Migration):
    dependencies = [("alerts", "0002_follows_alerts_deliveries")]

    operations = [
        schedule_operation("sweep-alerts", "alerts.tasks.sweep_task", dt.timedelta(minutes=1)),
        schedule_operation(
            "send-digests", "alerts.tasks.send_due_digests_task", dt.timedelta(minutes=5)
        ),
    ]
