from django.db import migrations


def forwards(apps, schema_editor):
    from topics.starter import load_starter

    # pycountry now names the country "Türkiye", and the starter registry took that name, so
    # "Turkey" in a story found no topic. News still writes "Turkey": the topic takes that
    # name, keeping "Türkiye" as an alias (and its followers, by its id). An editor's own
    # renaming is left alone.
    topic = apps.get_model("topics", "Topic")
    old = topic.objects.filter(slug="turkiye", name="Türkiye").first()
    if old is not None and not topic.objects.filter(slug="turkey").exists():
        old.name, old.slug = "Turkey", "turkey"
        old.aliases = ["Türkiye", *(a for a in old.aliases if a not in ("Turkey", "Türkiye"))]
        old.save(update_fields=["name", "slug", "aliases"])
    load_starter(topic)


class Migration(migrations.Migration):
    dependencies = [("topics", "0008_topic_folded_names")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
