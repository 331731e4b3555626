"""Test helpers: the named people every test uses, and a real browser.

alice is a reader, bob an editor, charlie an outsider who signed up but follows nothing.
"""

import datetime as dt
import email
import email.message
import email.policy
import os
import shutil
import socket
import threading
import unittest
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.test import TestCase
from django.utils import timezone

from accounts.actions import ensure_user
from accounts.models import User
from stories.actions import ensure_publisher, publish_story, save_image, save_story
from stories.models import Image, Publisher, Story
from tidings.sample.photos import draw_photo
from topics.actions import attach_ranked_topics, ensure_topic
from topics.models import Topic

PASSWORD = "correct-horse-battery-staple"  # noqa: S105
OUTPUT_DIR = Path(os.environ.get("TEST_OUTPUT_DIR", settings.BASE_DIR / "test-output"))
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


class People:
    alice: ClassVar[User]
    bob: ClassVar[User]
    charlie: ClassVar[User]
    publisher: ClassVar[Publisher]

    @classmethod
    def make_people(cls) -> None:
        cls.alice = ensure_user("alice", PASSWORD, email="alice@example.com")
        cls.bob = ensure_user("bob", PASSWORD, editor=True, email="bob@example.com")
        cls.charlie = ensure_user("charlie", PASSWORD, email="charlie@example.com")
        cls.publisher = ensure_publisher(
            "chronicle", name="The Chronicle", copyright_holder="Chronicle Media Ltd"
        )

    def make_story(
        self,
        headline: str = "Kestrel Energy opens a wind farm in Kenya",
        *,
        topics: tuple[tuple[str, str], ...] = (
            ("Kestrel Energy", Topic.Kind.ORGANISATION),
            ("Kenya", Topic.Kind.PLACE),
            ("Climate", Topic.Kind.THEME),
        ),
        publish: bool = True,
        photo: bool = False,
        **fields: Any,
    ) -> Story:
        """A story as bob would write it; the first topic is primary."""
        topic_objects = [ensure_topic(name, kind) for name, kind in topics]
        defaults: dict[str, Any] = {
            "publisher": self.publisher,
            "headline": headline,
            "standfirst": "The project could power two million homes.",
            "byline": "Ana Costa",
            "body": "First paragraph of the story.\n\nSecond paragraph, with a quote.",
            "primary_topic": topic_objects[0] if topic_objects else None,
            "created_by": self.bob,
        }
        defaults.update(fields)
        slug = defaults.pop("slug", None) or headline.lower().replace(" ", "-")[:100]
        story = save_story(slug, **defaults)
        if photo:
            story.lead_image = self.make_image()
            story.save(update_fields=["lead_image"])
        attach_ranked_topics(story, [topic.id for topic in topic_objects])
        if publish:
            publish_story(story, at=timezone.now() - dt.timedelta(minutes=5))
        return story

    def make_image(self) -> Image:
        return save_image(
            content=draw_photo(3, 600, 400),
            filename="turbines.jpg",
            alt_text="Wind turbines in a calm sea",
            display_caption="Turbines off the coast",
            caption="MALINDI, KENYA - MARCH 3: Turbines turn at dawn. (Photo by Lena Brandt/Coast)",
            photographer="Lena Brandt",
            agency="Coast",
        )


def close_response(response: Any) -> None:
    """Close a streamed test response (a file) without its request_finished signal closing the
    test's database connection, as the test client itself avoids during a request: on
    PostgreSQL that would end the test's transaction."""
    from django.core.signals import request_finished
    from django.db import close_old_connections

    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


class BaseTestCase(People, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.make_people()


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class BrowserTestCase(People, StaticLiveServerTestCase):
    """A live server and Debian's Chromium under Playwright; skipped without Chromium."""

    playwright: ClassVar[Any]
    browser: ClassVar[Any]
    _async_unsafe: ClassVar[str | None]

    @classmethod
    def setUpClass(cls) -> None:
        executable = chromium_path()
        if executable is None:
            raise unittest.SkipTest(
                "chromium is not on the PATH: install Debian's chromium package "
                "(make test does so when run as root)"
            )
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:  # pragma: no cover - dev extras always include it
            raise unittest.SkipTest(f"playwright is not installed: {exc}") from None
        # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
        # between page actions are still synchronous, so Django's guard does not apply.
        cls._async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        super().setUpClass()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()
        if cls._async_unsafe is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = cls._async_unsafe

    def setUp(self) -> None:
        self.make_people()
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()

    def tearDown(self) -> None:
        self.context.close()

    def sign_in(self, next_path: str, username: str = "alice") -> None:
        self.page.goto(f"{self.live_server_url}/login/?next={next_path}")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(f"**{next_path}")

    def screenshot(self, name: str, **options: Any) -> Path:
        path = OUTPUT_DIR / "screenshots" / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True, **options)
        return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SMTPSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[email.message.EmailMessage] = []
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def start(self) -> "SMTPSink":
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self) -> dict[str, Any]:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_TIMEOUT": 5,
        }

    @contextmanager
    def running(self) -> Iterator["SMTPSink"]:
        self.start()
        try:
            yield self
        finally:
            self.stop()


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on a free loopback port, in a thread, for as long as the block runs."""

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # concurrent webhook posts, not refused by a short backlog

    httpd = Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def body_of(message: email.message.EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())


class Receiver:
    """A real HTTP server on loopback that records POSTs and answers with scripted statuses."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[tuple[dict[str, str], bytes]] = []

    @contextmanager
    def running(self) -> Iterator[str]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        with serving(Handler) as base:
            yield base
