from django.db import migrations


def load(apps, schema_editor):
    from topics.starter import load_starter

    # Idempotent: adds what the starter registry gained (first-level regions), keeps the rest.
    load_starter(apps.get_model("topics", "Topic"))


class Migration(migrations.Migration):
    dependencies = [("topics", "0003_starter_registry")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
