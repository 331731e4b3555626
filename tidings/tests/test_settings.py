import os
import subprocess
import sys

from django.conf import settings
from django.test import RequestFactory, SimpleTestCase, override_settings

PROBE = "import django; django.setup(); from django.conf import settings as s; print({})"


def load_settings(expr: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter with this environment; DEBUG is on (as in the
    demo) unless `env` says otherwise, and DEBUG="" leaves it unset."""
    # The defaults are the subject: nothing of the environment the suite runs in (CI runs it on
    # PostgreSQL too) may decide them.
    ours = {"DEBUG", "SECRET_KEY", "SITE_URL", "DATABASE_URL", "TASKS_BACKEND", "CACHE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    clean.update({"DEBUG": "true", **env}, DJANGO_SETTINGS_MODULE="tidings.settings")
    if not clean["DEBUG"]:
        del clean["DEBUG"]
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(expr)],
        env=clean,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


class SettingsTests(SimpleTestCase):
    def test_defaults_serve_a_local_demo_on_sqlite_in_wal_mode(self) -> None:
        db = "s.DATABASES['default']"
        result = load_settings(f"s.DEBUG, {db}['ENGINE'], {db}['OPTIONS']['init_command']")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("True", result.stdout)
        self.assertIn("sqlite3", result.stdout)
        self.assertIn("journal_mode=WAL", result.stdout)

    def test_postgresql_url_switches_engine(self) -> None:
        result = load_settings(
            "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME']",
            DATABASE_URL="postgresql://news@db.internal:5432/tidings",
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("postgresql", result.stdout)
        self.assertIn(" tidings", result.stdout)

    def test_debug_is_off_unless_asked_for_and_the_demo_key_is_refused_then(self) -> None:
        result = load_settings("s.DEBUG", DEBUG="")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY must be set", result.stderr)
        result = load_settings(
            "s.DEBUG", DEBUG="", SECRET_KEY="django-insecure-tidings-local-demo-key-do-not-deploy"
        )
        self.assertIn("SECRET_KEY must be set", result.stderr)
        result = load_settings(
            "s.DEBUG, s.DEMO_KEY_IN_USE", DEBUG="", SECRET_KEY="x" * 50,
            SITE_URL="https://news.example",
        )  # fmt: skip
        self.assertEqual(result.stdout.strip(), "False False", result.stderr)

    def test_production_refuses_to_start_without_a_real_secret_key(self) -> None:
        result = load_settings("s.DEBUG", DEBUG="false")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY must be set", result.stderr)
        result = load_settings("s.DEBUG", DEBUG="false", SECRET_KEY="short")
        self.assertIn("SECRET_KEY must be set", result.stderr)
        result = load_settings(
            "s.DEBUG", DEBUG="false", SECRET_KEY="x" * 50, SITE_URL="https://news.example"
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("False", result.stdout)

    def test_production_refuses_to_start_without_an_explicit_site_url(self) -> None:
        production = {"DEBUG": "false", "SECRET_KEY": "x" * 50}
        result = load_settings("s.SITE_URL", **production)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SITE_URL must be set", result.stderr)
        result = load_settings("s.SITE_URL", **production, SITE_URL="news.example")
        self.assertIn("SITE_URL must be set", result.stderr)
        result = load_settings("s.SITE_URL", **production, SITE_URL="https://news.example/")
        self.assertEqual(result.stdout.strip(), "https://news.example")

    def test_bad_values_fail_loudly_naming_the_variable(self) -> None:
        cases = {
            "DEBUG": ("maybe", "DEBUG='maybe' is not valid"),
            "TIME_ZONE": ("Mars/Olympus", "TIME_ZONE='Mars/Olympus' is not valid"),
            "DATABASE_URL": ("mysql://root@localhost/x", "DATABASE_URL='mysql://root@localhost/x'"),
            "CACHE_URL": ("memcached://x", "CACHE_URL='memcached://x' is not supported"),
            "STORIES_PER_PAGE": ("many", "STORIES_PER_PAGE='many' is not valid"),
            "TASKS_BACKEND": (
                "carrier-pigeon",
                "expected one of database, celery, immediate, dummy",
            ),
        }
        for name, (value, message) in cases.items():
            with self.subTest(name):
                result = load_settings("s.DEBUG", **{name: value})
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("ImproperlyConfigured", result.stderr)
                self.assertIn(message, result.stderr)

    def test_allowed_hosts_and_time_zone_from_env(self) -> None:
        result = load_settings(
            "s.ALLOWED_HOSTS, s.TIME_ZONE",
            ALLOWED_HOSTS="news.example, www.news.example",
            TIME_ZONE="Europe/Lisbon",
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("['news.example', 'www.news.example']", result.stdout)
        self.assertIn("Europe/Lisbon", result.stdout)


class FaviconTests(SimpleTestCase):
    def test_every_page_names_the_icon_and_favicon_ico_leads_to_it(self) -> None:
        page = self.client.get("/login/")
        self.assertContains(page, '<link rel="icon" href="/static/tidings/favicon.svg"')
        response = self.client.get("/favicon.ico")
        self.assertRedirects(response, "/static/tidings/favicon.svg", status_code=301,
                             fetch_redirect_response=False)  # fmt: skip
        icon = self.client.get("/static/tidings/favicon.svg")
        self.assertEqual(icon.status_code, 200)
        self.assertIn(b"<svg", b"".join(icon.streaming_content))  # type: ignore[attr-defined]


# Built, not written out: the debug page quotes this file's source lines around the error.
SECRET = "-".join(["never", "shown"])


class DebugPageTests(SimpleTestCase):
    @override_settings(
        DATABASE_URL=f"postgresql://tidings:{SECRET}@db.internal:5432/tidings",
        SOME_SERVICE={"endpoint": f"amqp://guest:{SECRET}@mq.internal:5672//"},
        DEBUG=True,
    )
    def test_credentials_in_urls_never_reach_the_debug_page(self) -> None:
        from django.views.debug import technical_500_response

        try:
            raise RuntimeError("boom")
        except RuntimeError:
            import sys

            request = RequestFactory().get("/")
            page = technical_500_response(request, *sys.exc_info()).content.decode()
        self.assertFalse(SECRET in page, "a password is on the debug page")
        self.assertIn("DATABASE_URL", page)
        self.assertIn("amqp://guest:********************@mq.internal", page)


class DeployCheckTests(SimpleTestCase):
    def test_the_readme_production_environment_passes_check_deploy(self) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "SITE_URL"}},
            "DEBUG": "false", "SECRET_KEY": "k" * 20 + "-production-secret-" + "z" * 20,
            "SITE_URL": "https://news.example", "ALLOWED_HOSTS": "news.example",
            "CSRF_TRUSTED_ORIGINS": "https://news.example", "BEHIND_TLS_PROXY": "true",
        }  # fmt: skip
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
        self.assertIn("no issues", result.stdout)


class DemoKeyBannerTests(SimpleTestCase):
    def test_every_page_says_when_the_demo_key_is_in_use(self) -> None:
        with self.settings(DEMO_KEY_IN_USE=True):
            self.assertContains(self.client.get("/login/"), "uses the public demo secret key")
        with self.settings(DEMO_KEY_IN_USE=False):
            self.assertNotContains(self.client.get("/login/"), "public demo secret key")


class DebugFilterTests(SimpleTestCase):
    def test_tokens_in_urls_and_auth_settings_are_hidden(self) -> None:
        from tidings.debug import CredentialSafeFilter

        cleanse = CredentialSafeFilter().cleanse_setting
        self.assertEqual(
            cleanse("SENTRY", "https://abc123@o1.ingest.example/4"),
            "https://********************@o1.ingest.example/4",
        )
        self.assertEqual(
            cleanse("BROKER_LIKE", "amqp://guest:pw@mq:5672//"), "********************"
        )
        self.assertEqual(
            cleanse("UPSTREAM", "amqp://guest:pw@mq:5672//"),
            "amqp://guest:********************@mq:5672//",
        )
        self.assertEqual(cleanse("AUTH_HEADER", "Bearer xyz"), "********************")
