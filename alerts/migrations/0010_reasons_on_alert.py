from typing import Any

import django.db.models.deletion
from django.db import migrations, models

# As alerts.models.pack_reasons packed them when this was written; kept here so that the
# migration does not change with it.
CODES = {"primary": "p", "about": "a", "mention": "m", "quoted": "q", "search": "s"}
ROLES = {code: role for role, code in CODES.items()}
CHUNK = 2000


def pack(apps: Any, schema_editor: Any) -> None:
    """Each alert's reason rows onto the alert, a chunk of alerts at a time."""
    Alert = apps.get_model("alerts", "Alert")
    AlertReason = apps.get_model("alerts", "AlertReason")
    reasons = AlertReason.objects.order_by("alert_id", "id").values_list(
        "alert_id", "role", "topic_id", "search_id"
    )
    packed: dict[int, list[str]] = {}

    def flush() -> None:
        alerts = [Alert(id=a, reasons=" ".join(tokens)) for a, tokens in packed.items()]
        Alert.objects.bulk_update(alerts, ["reasons"], batch_size=500)
        packed.clear()

    for alert, role, topic, search in reasons.iterator(chunk_size=CHUNK):
        if alert not in packed and len(packed) >= CHUNK:
            flush()
        packed.setdefault(alert, []).append(f"{CODES[role]}{topic or search}")
    flush()


def unpack(apps: Any, schema_editor: Any) -> None:
    Alert = apps.get_model("alerts", "Alert")
    AlertReason = apps.get_model("alerts", "AlertReason")
    rows = []
    for alert, packed in (
        Alert.objects.exclude(reasons="").values_list("id", "reasons").iterator(chunk_size=CHUNK)
    ):
        for token in packed.split():
            role, number = ROLES[token[0]], int(token[1:])
            ids = {"search_id": number} if role == "search" else {"topic_id": number}
            rows.append(AlertReason(alert_id=alert, role=role, **ids))
        if len(rows) >= CHUNK:
            AlertReason.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    AlertReason.objects.bulk_create(rows, ignore_conflicts=True)


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
