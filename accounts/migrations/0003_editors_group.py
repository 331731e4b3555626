from django.db import migrations

from accounts.permissions import grant_operation


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

    operations = [grant_operation()]
