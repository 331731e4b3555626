from django.db import migrations

from accounts.permissions import EDITORS, grant_operation

ALL = ("add", "change", "delete", "view")

# What the docs send editors to: stories and photos, topics, comments and reports, reuse requests,
# feed sources and what they ingested (duplicates included), deliveries (with Retry) and schedules.
# Readers' follows and alerts stay private.
GRANTS = {
    "stories": {"story": ALL, "image": ALL, "publisher": ALL},
    "topics": {"topic": ALL, "storytopic": ALL},
    "comments": {"comment": ALL, "commentreport": ALL},
    "reuse": {"reuserequest": ALL},
    "ingest": {"source": ALL, "ingesteditem": ("view", "change", "delete")},
    "alerts": {"delivery": ("view", "change"), "schedule": ("view", "change"), "event": ("view",)},
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_reader_settings"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("alerts", "0004_delivery_reply"),
        ("comments", "0003_threads_moderation_reports"),
        ("ingest", "0002_poll_schedule"),
        ("reuse", "0001_initial"),
        ("stories", "0005_comments_and_reuse_fields"),
        ("topics", "0003_starter_registry"),
    ]

    operations = [grant_operation(EDITORS, GRANTS)]
