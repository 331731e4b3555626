from django.db import migrations


def load(apps, schema_editor):
    from topics.starter import load_starter

    load_starter(apps.get_model("topics", "Topic"))


class Migration(migrations.Migration):
    """Every database starts knowing the countries, larger cities, international organisations
    and themes (topics/data/), so the tagger never has to guess them."""

    dependencies = [("topics", "0002_topic_updated_at")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
