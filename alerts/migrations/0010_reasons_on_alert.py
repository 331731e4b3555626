from typing import Any

import django.db.models.deletion
from django.db import migrations, models

# As alerts.models.pack_reasons packed them when this was written; kept here so that the
# migration does not change with it.
CODES = {"primary": "p", "about": "a", "mention": "m", "quoted": "q", "search": "s"}
ROLES = {code: role for role, code in CODES.items()}
CHUNK = 2000


def pack(apps: Any, schema_editor: Any) -> None:
    """Each alert's reason rows onto the alert, in one statement: row by row through the ORM, an
    archive of millions would take hours."""
    Alert = apps.get_model("alerts", "Alert")
    AlertReason = apps.get_model("alerts", "AlertReason")
    alert, reason = Alert._meta.db_table, AlertReason._meta.db_table
    code = " ".join(f"WHEN '{role}' THEN '{letter}'" for role, letter in CODES.items())
    token = f"(CASE r.role {code} END) || CAST(COALESCE(r.topic_id, r.search_id) AS TEXT)"
    joined = (
        f"string_agg({token}, ' ')"
        if schema_editor.connection.vendor == "postgresql"
        else f"group_concat({token}, ' ')"
    )
    # Only constants and table names from model metadata are interpolated.
    schema_editor.execute(
        f"""UPDATE {alert} SET reasons = (
                SELECT {joined} FROM {reason} r WHERE r.alert_id = {alert}.id)
            WHERE EXISTS (SELECT 1 FROM {reason} r WHERE r.alert_id = {alert}.id)"""  # noqa: S608
    )


def unpack(apps: Any, schema_editor: Any) -> None:
    """Back to rows, but for topics and searches deleted since (their rows went with them)."""
    Alert = apps.get_model("alerts", "Alert")
    AlertReason = apps.get_model("alerts", "AlertReason")
    Topic = apps.get_model("topics", "Topic")
    SavedSearch = apps.get_model("search", "SavedSearch")
    alerts = Alert.objects.exclude(reasons="").values_list("id", "reasons")
    rows: list[Any] = []

    def flush() -> None:
        topics = set(Topic.objects.filter(id__in={r.topic_id for r in rows}).values_list("id"))
        searches = set(
            SavedSearch.objects.filter(id__in={r.search_id for r in rows}).values_list("id")
        )
        kept = [r for r in rows if (r.topic_id,) in topics or (r.search_id,) in searches]
        AlertReason.objects.bulk_create(kept, ignore_conflicts=True)
        rows.clear()

    for alert, packed in alerts.iterator(chunk_size=CHUNK):
        for token in packed.split():
            role, number = ROLES[token[0]], int(token[1:])
            ids = {"search_id": number} if role == "search" else {"topic_id": number}
            rows.append(AlertReason(alert_id=alert, role=role, **ids))
        if len(rows) >= CHUNK:
            flush()
    flush()


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0009_alerts_by_story"),
    ]

    operations = [
        # Off the way of the new field's name while both exist.
        migrations.AlterField(
            model_name="alertreason",
            name="alert",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="alerts.alert",
            ),
        ),
        migrations.AddField(
            model_name="alert",
            name="reasons",
            field=models.TextField(
                blank=True,
                default="",
                help_text='Why it was sent, packed: see pack_reasons ("p12 s7").',
            ),
        ),
        migrations.RunPython(pack, unpack, elidable=False),
        migrations.DeleteModel(
            name="AlertReason",
        ),
    ]
