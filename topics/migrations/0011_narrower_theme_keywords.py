from django.db import migrations

# Keywords that said a theme where many stories mean something else: a "tax crackdown" is no
# human-rights story, a political "rally" no market one. Each gives way to the phrases that
# do say it (load_starter adds them); a topic whose editor removed the word already is left
# as it is. load_starter also gives the Turks and Caicos Islands their short name, which was
# Turkey's ("the islands of Turks and Caicos").
NARROWED = {"human-rights": "crackdown", "markets": "rally"}


def forwards(apps, schema_editor):
    from topics.starter import load_starter

    topic = apps.get_model("topics", "Topic")
    for slug, word in NARROWED.items():
        theme = topic.objects.filter(slug=slug, kind="theme").first()
        if theme is not None and word in theme.aliases:
            theme.aliases = [a for a in theme.aliases if a != word]
            theme.save(update_fields=["aliases"])
    load_starter(topic)


class Migration(migrations.Migration):
    dependencies = [("topics", "0010_starter_bodies")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
