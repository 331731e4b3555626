"""Used by data migrations: an app adds its periodic work to the Schedule table this way, so that
every database has it and editors can change the interval or switch it off in the admin."""

import datetime as dt
from typing import Any

from django.db import migrations


def schedule_operation(name: str, task: str, every: dt.timedelta) -> migrations.RunPython:
    def add(apps: Any, schema_editor: Any) -> None:
        apps.get_model("alerts", "Schedule").objects.get_or_create(
            name=name, defaults={"task": task, "every": every}
        )

    def remove(apps: Any, schema_editor: Any) -> None:
        apps.get_model("alerts", "Schedule").objects.filter(name=name).delete()

    return migrations.RunPython(add, remove)
