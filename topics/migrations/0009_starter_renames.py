from django.db import migrations

# (old slug, old name, new name, new slug). pycountry now names the country "Türkiye", and
# the starter registry took that name, so "Turkey" in a story found no topic; the UN's bodies
# had their short names, where the tagger writes the model's "UN Security Council" in full
# ("US Senate" is "United States Senate"), so one body was two topics.
RENAMES = [
    ("turkiye", "Türkiye", "Turkey", "turkey"),
    ("un-security-council", "UN Security Council", "United Nations Security Council",
     "united-nations-security-council"),
    ("un-general-assembly", "UN General Assembly", "United Nations General Assembly",
     "united-nations-general-assembly"),
]  # fmt: skip


def forwards(apps, schema_editor):
    from topics.starter import load_starter

    # The topic keeps its id (and so its followers and stories), and its old name as an
    # alias. A topic an editor has renamed since is left alone.
    topic = apps.get_model("topics", "Topic")
    for old_slug, old_name, name, slug in RENAMES:
        old = topic.objects.filter(slug=old_slug, name=old_name).first()
        if old is None or topic.objects.filter(slug=slug).exists():
            continue
        old.name, old.slug = name, slug
        old.aliases = [old_name, *(a for a in old.aliases if a not in (name, old_name))]
        old.save(update_fields=["name", "slug", "aliases"])
    load_starter(topic)


class Migration(migrations.Migration):
    dependencies = [("topics", "0008_topic_folded_names")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
