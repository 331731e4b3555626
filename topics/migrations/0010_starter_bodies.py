from django.db import migrations


def load(apps, schema_editor):
    from topics.starter import load_starter

    # Idempotent: adds the international bodies the starter registry gained (the OSCE, the
    # Council of Europe, the ILO...) and the states of "Washington state" and "New York
    # state"; keeps the rest.
    load_starter(apps.get_model("topics", "Topic"))


class Migration(migrations.Migration):
    dependencies = [("topics", "0009_starter_renames")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
