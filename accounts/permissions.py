"""The Editors group's permissions: data every database carries (a migration grants them), so an
editor made any way (the admin, `createsuperuser` then a group, the API) can do their job."""

from typing import Any

from django.db import migrations

EDITORS = "Editors"
ALL = ("add", "change", "delete", "view")
# What the docs send editors to: stories and photos, topics, comments and reports, reuse
# requests, feed sources and what they ingested (duplicates too), deliveries (with Retry) and
# schedules. Readers' follows and alerts stay private.
EDITOR_GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "stories": {"story": ALL, "image": ALL, "publisher": ALL},
    "topics": {"topic": ALL, "storytopic": ALL},
    "comments": {"comment": ALL, "commentreport": ALL},
    "reuse": {"reuserequest": ALL},
    "ingest": {"source": ALL, "ingesteditem": ("view", "change", "delete")},
    "alerts": {"delivery": ("view", "change"), "schedule": ("view", "change"), "event": ("view",)},
}


def grant(group_model: Any, permission_model: Any, name: str = EDITORS) -> Any:
    """Give the group (created if missing) every permission in EDITOR_GRANTS; returns it."""
    group, _ = group_model.objects.get_or_create(name=name)
    for app_label, models in EDITOR_GRANTS.items():
        for model, verbs in models.items():
            group.permissions.add(
                *permission_model.objects.filter(
                    content_type__app_label=app_label,
                    codename__in=[f"{verb}_{model}" for verb in verbs],
                )
            )
    return group


def grant_operation() -> migrations.RunPython:
    def forwards(apps: Any, schema_editor: Any) -> None:
        # Permissions are normally made after the last migration; make them now so that a
        # fresh database gets the grant in this same run.
        from django.contrib.auth.management import create_permissions

        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        grant(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))

    return migrations.RunPython(forwards, migrations.RunPython.noop)
