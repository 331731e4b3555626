"""Used by data migrations: the Editors group's permissions are data every database carries, so
an editor created any way (the admin, `createsuperuser` then a group, the API) can do their job."""

from typing import Any

from django.db import migrations

EDITORS = "Editors"


def grant_operation(
    group: str, grants: dict[str, dict[str, tuple[str, ...]]]
) -> migrations.RunPython:
    """A migration step giving `group` the verbs (add/change/delete/view) on app.model."""

    def grant(apps: Any, schema_editor: Any) -> None:
        # Permissions are normally made after the last migration; make them now so that a
        # fresh database gets the grant in this same run.
        from django.contrib.auth.management import create_permissions

        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        editors, _ = Group.objects.get_or_create(name=group)
        for app_label, models in grants.items():
            for model, verbs in models.items():
                editors.permissions.add(
                    *Permission.objects.filter(
                        content_type__app_label=app_label,
                        codename__in=[f"{verb}_{model}" for verb in verbs],
                    )
                )

    return migrations.RunPython(grant, migrations.RunPython.noop)
