from django.core.management.base import BaseCommand

from stories.actions import publish_due_stories


class Command(BaseCommand):
    help = "Publish scheduled stories whose time has come (a safety net for lost tasks; cron-able)."

    def handle(self, *args: object, **options: object) -> None:
        count = publish_due_stories()
        self.stdout.write(f"Published {count} scheduled stories.")
