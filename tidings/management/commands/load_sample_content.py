import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.actions import ensure_user
from accounts.models import User
from alerts.actions import follow_topic
from comments.actions import record_comment
from search.actions import save_search
from stories.actions import ensure_publisher, publish_story, save_image, save_story
from tidings.sample import photos, topics
from tidings.sample.stories import STORIES
from topics.actions import attach_ranked_topics, ensure_topic
from topics.models import Topic

DEMO_LOGINS = [
    ("alice", "alice-reads-the-news", "a reader", False),
    ("bob", "bob-edits-the-news", "an editor (newsroom at /admin/)", True),
    ("charlie", "charlie-looks-around", "an outsider", False),
]


def real_accounts() -> list[str]:
    """Accounts this command did not make: anyone but the demo logins with their demo address."""
    demo = {name: f"{name}@example.com" for name, *_ in DEMO_LOGINS}
    return [
        user.username
        for user in User.objects.order_by("id").only("username", "email")
        if demo.get(user.username) != user.email
    ]


class Command(BaseCommand):
    help = "Load the invented sample stories, topics, photos, comments and demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="load even though the database has accounts of its own (resets the demo logins)",
        )

    def handle(self, *args: object, **options: object) -> None:
        real = real_accounts()
        if real and not options["force"]:
            names = ", ".join(real[:5]) + (" …" if len(real) > 5 else "")
            raise CommandError(
                f"This database has {len(real)} account(s) that are not demo logins ({names}). "
                "Sample content would add invented stories and reset the passwords of alice, "
                "bob and charlie; use --force if that is what you want."
            )
        with transaction.atomic():
            users = {
                name: ensure_user(name, password, editor=editor, email=f"{name}@example.com")
                for name, password, _, editor in DEMO_LOGINS
            }
            publisher = ensure_publisher(
                "tidings-chronicle",
                name="The Tidings Chronicle",
                copyright_holder="The Tidings Chronicle Ltd",
                website="https://chronicle.example",
                contact_email="rights@chronicle.example",
            )
            registry = self._topics()
            # alice follows a few topics first, so the demo has alerts in her notifications.
            for data in STORIES[:3]:
                follow_topic(users["alice"], registry[data["topics"][0]])
            # ...and keeps one search as an alert, as Google Alerts' users do.
            save_search(users["alice"], "drought OR famine")
            now = timezone.now()
            for index, data in enumerate(STORIES, start=1):
                if self.stderr.isatty():
                    self.stderr.write(
                        f"\r[{index}/{len(STORIES)}] {data['slug'][:60]:<60}", ending=""
                    )
                published_at = now - dt.timedelta(hours=data["hours_ago"])
                story = save_story(
                    data["slug"],
                    publisher=publisher,
                    headline=data["headline"],
                    standfirst=data["standfirst"],
                    byline=data["byline"],
                    body="\n\n".join(data["body"]),
                    comments_enabled=data["comments"],
                    reusable=data["reusable"],
                    primary_topic=registry[data["topics"][0]],
                    created_by=users["bob"],
                )
                if data["photo"] and story.lead_image is None:
                    photo = dict(data["photo"])
                    seed = photo.pop("seed")
                    story.lead_image = save_image(
                        content=photos.draw_photo(seed), filename=f"{story.slug}.jpg", **photo
                    )
                    story.save(update_fields=["lead_image"])
                attach_ranked_topics(story, [registry[name].id for name in data["topics"]])
                publish_story(story, at=published_at)
                if not story.comments.exists():
                    # Dated in the story's past, as if readers had commented over the hours since.
                    for number, (username, text) in enumerate(data.get("sample_comments", [])):
                        at = min(published_at + dt.timedelta(minutes=40 * (number + 1)), now)
                        record_comment(story, users[username], text, at=at)
            if self.stderr.isatty():
                self.stderr.write("")
        self.stdout.write(
            self.style.SUCCESS(f"Loaded {len(STORIES)} sample stories and {len(registry)} topics.")
        )
        for name, password, role, _ in DEMO_LOGINS:
            self.stdout.write(f"  {name} / {password}  ({role})")

    def _topics(self) -> dict[str, Topic]:
        registry = {}
        for name, description in topics.PEOPLE.items():
            registry[name] = ensure_topic(name, Topic.Kind.PERSON, description=description)
        kinds = [
            (topics.ORGANISATIONS, Topic.Kind.ORGANISATION),
            (topics.PLACES, Topic.Kind.PLACE),
            (topics.THEMES, Topic.Kind.THEME),
        ]
        for table, kind in kinds:
            for name, aliases in table.items():
                registry[name] = ensure_topic(name, kind, aliases=aliases)
        return registry
