from django.db import migrations


def load(apps, schema_editor):
    from topics.starter import load_starter

    # Idempotent: adds the named subjects (faiths, festivals, wars, games, prizes), keeps the rest.
    load_starter(apps.get_model("topics", "Topic"))


class Migration(migrations.Migration):
    dependencies = [("topics", "0005_rejected_and_evidence")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
