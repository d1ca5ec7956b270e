"""Balie settings. Everything that differs between machines comes from the environment.

See the README's "Settings" table for every variable.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BALIE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Under pytest, tasks run eagerly and the secret key is the embedded one (see below).
RUNNING_TESTS = (
    os.path.basename(sys.argv[0]) in ("pytest", "py.test") or "PYTEST_XDIST_WORKER" in os.environ
)


def embedded_secret_key(var_dir: Path) -> str:
    """The secret key of the embedded default: made at random on the first start and kept in
    `var/secret-key` (mode 0600), so that the web server, the worker and the scheduler sign
    and check with the same key. Created atomically: of two processes starting at once, the
    first one's key is the one both use."""
    path = var_dir / "secret-key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    import secrets

    var_dir.mkdir(parents=True, exist_ok=True)
    draft = var_dir / f".secret-key.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(50) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)  # never replaces a key another process wrote first
    finally:
        draft.unlink(missing_ok=True)
    return path.read_text().strip()


DEBUG = env_bool("BALIE_DEBUG", False)
# The secret key signs sessions, CSRF tokens and the customers' portal log-in links. A
# deployment (PostgreSQL through DATABASE_URL) sets SECRET_KEY; the embedded default (SQLite
# under var/, what `make run` starts), a DEBUG machine and the test suite keep a random key
# under var/. Changing the key makes every outstanding log-in link and session invalid.
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if not SECRET_KEY:
    if DEBUG or not os.environ.get("DATABASE_URL") or RUNNING_TESTS:
        SECRET_KEY = embedded_secret_key(VAR_DIR)
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "SECRET_KEY is not set. A deployment (DATABASE_URL set, BALIE_DEBUG off) needs its "
            "own secret key: set SECRET_KEY to a long random value, the same for the web "
            "server, the worker and the scheduler, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Links in mail (portal login, SLA notices) point here. Unset, it is where `balie serve`
# listens: BALIE_HOST and BALIE_PORT (a wildcard host is reached on 127.0.0.1).
_serve_host = os.environ.get("BALIE_HOST", "127.0.0.1").strip() or "127.0.0.1"
if _serve_host in ("0.0.0.0", "::", "[::]"):  # noqa: S104 (a wildcard is not an address to link to)
    _serve_host = "127.0.0.1"
elif ":" in _serve_host and not _serve_host.startswith("["):
    _serve_host = f"[{_serve_host}]"
BASE_URL = (
    os.environ.get("BALIE_BASE_URL", "").strip()
    or f"http://{_serve_host}:{os.environ.get('BALIE_PORT', '8000').strip() or '8000'}"
).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    # ninja's own templates and static files: /api/v1/docs loads Swagger UI from here, not a CDN
    "ninja",
    "balie.core",
    "balie.accounts",
    "balie.customers",
    "balie.tickets",
    "balie.messaging",
    "balie.routing",
    "balie.sla",
    "balie.chat",
    "balie.portal",
    "balie.search",
    "balie.automation",
    "balie.reporting",
    "balie.intake",
    "balie.demo",
]

# Who consumes the event stream (balie.tickets.events.emit), in this order: every domain event
# is handed to each, after its audit entry is written. Named here, above the apps, because the
# consumers sit in layers above tickets (docs/events.md).
EVENT_CONSUMERS = (
    "balie.automation.triggers.consume_events",  # trigger rules of the event, in order
    "balie.automation.outgoing_webhooks.consume_events",  # outgoing webhook subscriptions per kind
    "balie.routing.engine.consume_events",  # queues per team, offers and assignments
    "balie.chat.live.consume_events",  # a chat's new messages to its open sockets
)
# What the outbox (messaging, below tickets) calls with the messages it sent or gave up on.
BALIE_DELIVERY_RECORDER = "balie.tickets.actions.mark_deliveries"

# Agent presence (docs/routing.md): away after this many seconds without using Balie, offline
# (open chats back to the queue) after this many seconds without a heartbeat from any page.
ROUTING_AWAY_AFTER = int(os.environ.get("BALIE_ROUTING_AWAY_AFTER", "300"))
ROUTING_OFFLINE_AFTER = int(os.environ.get("BALIE_ROUTING_OFFLINE_AFTER", "70"))

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "balie.core.database_busy.DatabaseBusyMiddleware",
    "balie.core.security_headers.content_security_policy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "balie.core.api_errors.ApiJsonErrorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "balie" / "core" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    }
]

# --- database -----------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        # Under ASGI every request runs in a thread of its own, so persistent per-thread
        # connections are never reused: a pool per process hands them out instead (and bounds
        # them: requests wait for a free connection rather than exhaust the server's).
        if int(os.environ.get("BALIE_DB_POOL_MAX_SIZE", "10")) > 0:
            DATABASES["default"]["CONN_MAX_AGE"] = 0
            # Testing each pooled connection as it is handed out costs a round trip per
            # request (an eighth of a mail delivery's time). Without it, a connection broken
            # by a database restart fails the one request that uses it and leaves the pool.
            DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("BALIE_DB_POOL_CHECK", False)
            DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
                "min_size": int(os.environ.get("BALIE_DB_POOL_MIN_SIZE", "2")),
                "max_size": int(os.environ.get("BALIE_DB_POOL_MAX_SIZE", "10")),
                "timeout": float(os.environ.get("BALIE_DB_POOL_TIMEOUT", "10")),
            }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("BALIE_SQLITE_PATH", str(VAR_DIR / "balie.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database, or a `sqlite:///…` DATABASE_URL: the web process and the worker
    # write to one file, so writers wait their turn (busy timeout) instead of failing with
    # "database is locked", and every transaction is IMMEDIATE (serialised writers: what the
    # routing engine's caps and the filing of a chat rely on where there are no row locks).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # Tests use a file as production does, not Django's shared in-memory database: in
    # that one, a chat socket's thread reading while the test's thread writes fails at
    # once with "database table is locked" (shared-cache table locks wait for no busy
    # timeout), where a file in WAL mode lets readers read and writers wait their turn.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"balie-test-{os.getpid()}.sqlite3")
    }
    # The embedded database builds the covering indexes of PostgreSQL without their extra
    # columns (INCLUDE): right for a demo or a small desk, and not worth a warning each start.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis: channel layer, cache, celery -------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Under pytest, tasks run eagerly; each xdist worker gets a Redis database of its own, counted
# from the one REDIS_URL names, so that cache-based state (rate limits, presence) of parallel
# test processes never mixes, and two suites given databases far enough apart never flush each
# other's (CI's database 0 gives its workers 1 and 2).
if RUNNING_TESTS and REDIS_URL.startswith("redis://"):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    base, _slash, number = REDIS_URL.rpartition("/")
    if REDIS_URL.count("/") > 2 and number.isdigit():
        REDIS_URL = base + f"/{(int(number) + 1 + int(worker or 0)) % 16}"
    elif REDIS_URL.count("/") > 2:
        REDIS_URL = base + f"/{1 + int(worker or 0) % 15}"
    else:
        REDIS_URL = REDIS_URL + f"/{1 + int(worker or 0) % 15}"


def redis_database(url: str) -> int:
    """The database number of a Redis URL (`redis://host:6379/3`, `unix:///path?db=3`)."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    number = parse_qs(parts.query).get("db", [""])[0]
    if not number and parts.scheme != "unix":
        number = parts.path.strip("/")
    return int(number) if number.isdigit() else 0


# Test runs side by side on one Redis server (two checkouts, a run beside CI) land on the same
# worker databases above: each run's channel names also carry its own database and worker, so
# that the live events of one run's chats never reach the sockets of another's.
TEST_RUN_SUFFIX = (
    f"-{Path(str(DATABASES['default']['NAME'])).name}-"
    + os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    if RUNNING_TESTS
    else ""
)

if REDIS_URL:
    # Redis's publish/subscribe ignores the database number, so the live events of two
    # installations (or test processes) sharing one Redis server on different databases would
    # reach each other's agents: the channel names carry the database number.
    CHANNEL_PREFIX = (
        os.environ.get("BALIE_CHANNEL_PREFIX") or f"balie{redis_database(REDIS_URL)}"
    ) + TEST_RUN_SUFFIX
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": CHANNEL_PREFIX},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "balie.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "balie",
        }
    }
    CELERY_BROKER_URL = (
        "redis+socket://" + REDIS_URL.removeprefix("unix://")
        if REDIS_URL.startswith("unix://")
        else REDIS_URL
    )
    CELERY_TASK_ALWAYS_EAGER = env_bool("BALIE_EAGER_TASKS", RUNNING_TESTS)
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True

CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "balie.intake.tasks.process_envelope": {"queue": "ingest"},
    "balie.intake.tasks.poll_account": {"queue": "ingest"},
    "balie.messaging.tasks.send_outbox_item": {"queue": "outbound"},
    "balie.messaging.tasks.send_outbox_items": {"queue": "outbound"},
    "balie.messaging.tasks.drain_outbox": {"queue": "outbound"},
}
CELERY_TIMEZONE = "Europe/Amsterdam"
CELERY_RESULT_BACKEND = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- sessions, auth -----------------------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tickets:inbox"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# --- i18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "balie" / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- static and media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("BALIE_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("BALIE_MAX_REQUEST_BYTES", 40 * 1024 * 1024))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- e-mail -------------------------------------------------------------------------------
# Without EMAIL_HOST (trying Balie out with `make run`), outgoing mail is written as files to
# var/mail/ instead of being sent.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "klantenservice@voorbeeld-energie.nl")

# --- Balie --------------------------------------------------------------------------------
BALIE_COMPANY_NAME = os.environ.get("BALIE_COMPANY_NAME", "Voorbeeld Energie")
BALIE_ATTACHMENT_MAX_BYTES = int(os.environ.get("BALIE_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024))
BALIE_ATTACHMENT_BLOCKED_TYPES = env_list(
    "BALIE_ATTACHMENT_BLOCKED_TYPES",
    "application/x-msdownload,application/x-msdos-program,application/x-dosexec,"
    "application/x-sh,application/hta,application/x-ms-shortcut",
)
# The channels: one line per channel, its code and the dotted path of its connector class
# (see docs/connectors.md). A channel without a line here receives and sends nothing.
BALIE_CONNECTORS = {
    "email": "balie.messaging.connectors.email.EmailConnector",
    "webform": "balie.messaging.connectors.webform.WebformConnector",
    "chat": "balie.messaging.connectors.chat.ChatConnector",
}
# At most this many Cc'd addresses of a ticket's mail are kept as its participants (they get
# agents' replies when the agent keeps them); the rest are recorded on the message only.
BALIE_MAX_CC_PARTICIPANTS = int(os.environ.get("BALIE_MAX_CC_PARTICIPANTS", "20"))
# Of a mail's To and of its Cc only the first this many addresses are read and kept on the
# message; the rest is counted, and the message records how many there were.
BALIE_MAX_RECIPIENTS_READ = int(os.environ.get("BALIE_MAX_RECIPIENTS_READ", "100"))
BALIE_INBOUND_MAX_BYTES = int(os.environ.get("BALIE_INBOUND_MAX_BYTES", 40 * 1024 * 1024))
# The mail servers' endpoint (balie/messaging/connectors/email/asgi.py): a body must arrive within this many
# seconds, and at most this many bodies are read at once per process, from clients with a
# valid token and from clients without one separately (over the bound: 503 with Retry-After,
# and 401 without reading, respectively).
BALIE_INBOUND_READ_SECONDS = float(os.environ.get("BALIE_INBOUND_READ_SECONDS", "30"))
BALIE_INBOUND_MAX_READERS = int(os.environ.get("BALIE_INBOUND_MAX_READERS", "64"))
BALIE_INBOUND_MAX_STRANGERS = int(os.environ.get("BALIE_INBOUND_MAX_STRANGERS", "64"))
# How long a write that finds SQLite locked keeps trying before the request is answered 503
# with Retry-After (balie/core/database_busy.py).
BALIE_DB_BUSY_SECONDS = float(os.environ.get("BALIE_DB_BUSY_SECONDS", "2"))
# The largest body /webhooks/<channel>/<account>/ takes (providers send links to media, not
# the media itself).
BALIE_WEBHOOK_MAX_BYTES = int(os.environ.get("BALIE_WEBHOOK_MAX_BYTES", 1024 * 1024))
# Every other request (balie/core/request_bodies.py): a form with files sends at most this
# many bytes (five attachments and the form), and every body must arrive within
# BALIE_REQUEST_READ_SECONDS plus a second per BALIE_REQUEST_MIN_BYTES_PER_SECOND bytes received
# (413 and 408 otherwise, before any view runs).
BALIE_MAX_UPLOAD_BYTES = int(
    os.environ.get("BALIE_MAX_UPLOAD_BYTES", 5 * BALIE_ATTACHMENT_MAX_BYTES + 1024 * 1024)
)
BALIE_REQUEST_READ_SECONDS = float(os.environ.get("BALIE_REQUEST_READ_SECONDS", "30"))
BALIE_REQUEST_MIN_BYTES_PER_SECOND = int(
    os.environ.get("BALIE_REQUEST_MIN_BYTES_PER_SECOND", 64 * 1024)
)
# How many waiting envelopes the ingest worker takes at a time (plain ones are filed together
# in one transaction, the others each in their own), and for how long one ingest task keeps
# taking more while mail keeps coming in (mail arriving meanwhile queues no task of its own).
BALIE_INGEST_BATCH = int(os.environ.get("BALIE_INGEST_BATCH", "100"))
BALIE_INGEST_DRAIN_SECONDS = float(os.environ.get("BALIE_INGEST_DRAIN_SECONDS", "30"))
# How long (seconds) a drain that has just filed a small burst (under half of
# BALIE_INGEST_BATCH) waits for more mail before it looks again: a burst costs about the same
# statements whatever its size. It only delays filing, never the acknowledgement. 0 = no wait.
BALIE_INGEST_GATHER_SECONDS = float(os.environ.get("BALIE_INGEST_GATHER_SECONDS", "0.05"))
# How many ingest tasks may drain at the same time (each takes other envelopes): one per
# worker process on the ingest queue that should file mail in parallel.
BALIE_INGEST_DRAINS = int(os.environ.get("BALIE_INGEST_DRAINS", "1"))
# For how long (seconds) a web process that found every drain awake stores mail without asking
# Redis again; a drain that stops waits 1.5 times as long before its last look. 0 = ask always.
BALIE_INGEST_AWAKE_HINT = float(os.environ.get("BALIE_INGEST_AWAKE_HINT", "0.1"))
# New outbox items (acknowledgements, mostly) are sent by one task at a time: the first new
# item queues it to start BALIE_OUTBOX_GATHER_SECONDS later, and the items stored until it has
# sent them queue nothing of their own; it sends them BALIE_OUTBOX_BATCH at a time, for at
# most BALIE_OUTBOX_DRAIN_SECONDS while full bursts come (`balie.messaging.outbox`).
BALIE_OUTBOX_BATCH = int(os.environ.get("BALIE_OUTBOX_BATCH", "100"))
BALIE_OUTBOX_DRAIN_SECONDS = float(os.environ.get("BALIE_OUTBOX_DRAIN_SECONDS", "5"))
BALIE_OUTBOX_GATHER_SECONDS = float(os.environ.get("BALIE_OUTBOX_GATHER_SECONDS", "0.1"))
# How old (seconds) a live chat's answer, stored and shown at once, must be before the ingest
# worker files the rest of it (`balie.intake.chat_order`): by then every visitor message that
# took a lower id, a moment before it, has committed, so the SLA clocks see them in the order
# they were shown. Eager tasks (tests) file it at once.
BALIE_INGEST_ANSWER_SETTLE = float(os.environ.get("BALIE_INGEST_ANSWER_SETTLE", "0.2"))
BALIE_CONTACT_RATE_LIMIT = os.environ.get("BALIE_CONTACT_RATE_LIMIT", "5/600")
# Chats a visitor may start (and messages left) per IP and per address; idle chats are warned
# after this many seconds without a message either way, and closed this many seconds later.
BALIE_CHAT_RATE_LIMIT = os.environ.get("BALIE_CHAT_RATE_LIMIT", "10/600")
# Messages a visitor may send in one chat (a burst of 10, then about one a second), and files.
BALIE_CHAT_MESSAGE_RATE_LIMIT = os.environ.get("BALIE_CHAT_MESSAGE_RATE_LIMIT", "10/10")
BALIE_CHAT_UPLOAD_RATE_LIMIT = os.environ.get("BALIE_CHAT_UPLOAD_RATE_LIMIT", "5/60")
# Transcripts by e-mail per chat and per address (the address a visitor typed is unverified).
BALIE_CHAT_TRANSCRIPT_RATE_LIMIT = os.environ.get("BALIE_CHAT_TRANSCRIPT_RATE_LIMIT", "3/3600")
# Threads for the chat sockets' database work (docs/chat.md); default: the connection pool's size.
BALIE_CHAT_SOCKET_THREADS = (
    int(
        os.environ.get("BALIE_CHAT_SOCKET_THREADS")
        or os.environ.get("BALIE_DB_POOL_MAX_SIZE")
        or 10
    )
    or 10
)
BALIE_CHAT_IDLE_WARN_SECONDS = int(os.environ.get("BALIE_CHAT_IDLE_WARN_SECONDS", "300"))
BALIE_CHAT_IDLE_CLOSE_SECONDS = int(os.environ.get("BALIE_CHAT_IDLE_CLOSE_SECONDS", "120"))
# A waiting chat whose visitor's page went away (no socket open) this long gives up its place.
BALIE_CHAT_GONE_SECONDS = int(os.environ.get("BALIE_CHAT_GONE_SECONDS", "60"))
BALIE_CONTACT_MIN_SECONDS = float(os.environ.get("BALIE_CONTACT_MIN_SECONDS", "2"))
# A contact form can be sent once, within this many seconds of being shown.
BALIE_CONTACT_MAX_SECONDS = float(os.environ.get("BALIE_CONTACT_MAX_SECONDS", 4 * 3600))
BALIE_PORTAL_LOGIN_RATE_LIMIT = os.environ.get("BALIE_PORTAL_LOGIN_RATE_LIMIT", "5/600")
BALIE_PORTAL_REPLY_RATE_LIMIT = os.environ.get("BALIE_PORTAL_REPLY_RATE_LIMIT", "20/600")
# Failed logins (agents' /inloggen/ and the Django admin) allowed per account and per client
# address in a window of seconds; past it, logins are refused (429) until the window ends.
BALIE_LOGIN_FAILURE_LIMIT = os.environ.get("BALIE_LOGIN_FAILURE_LIMIT", "10/900")
# The reverse proxies (load balancers) in front of Balie, as addresses or networks
# ("10.0.0.5,10.1.0.0/16"). X-Forwarded-For counts only on a request from one of them: the
# client is the right-most address in it that is not a trusted proxy. Empty = the peer address.
BALIE_TRUSTED_PROXIES = env_list("BALIE_TRUSTED_PROXIES", "")
BALIE_MAGIC_LINK_MAX_AGE = int(os.environ.get("BALIE_MAGIC_LINK_MAX_AGE", 7 * 24 * 3600))
BALIE_REOPEN_WINDOW_DAYS = int(os.environ.get("BALIE_REOPEN_WINDOW_DAYS", "30"))
BALIE_IMAP_POLL_SECONDS = int(os.environ.get("BALIE_IMAP_POLL_SECONDS", "60"))
# The instance id goes into outgoing mail headers so that our own mail is recognised on return.
BALIE_INSTANCE_ID = os.environ.get("BALIE_INSTANCE_ID", "balie")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BALIE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- headers -------------------------------------------------------------------------------
# Every page: no framing by other sites, no full URLs (ticket numbers, log-in links) in the
# Referer sent to other sites, no MIME sniffing; the Content-Security-Policy is set by
# balie.core.security_headers.
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Behind TLS (BALIE_SECURE=1): secure cookies, plain HTTP redirected to HTTPS (except the
# health check a load balancer probes), and HSTS so that browsers only ever come back by HTTPS.
if env_bool("BALIE_SECURE", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("BALIE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("BALIE_HSTS_SECONDS", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("BALIE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("BALIE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading puts the whole domain in the browsers' built-in HTTPS lists, a step only
        # its owner can take and hard to undo: off unless asked for, and not warned about
        # (docs/decisions/0010-security-defaults.md).
        SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "security.W021"]

from .schedule import CELERY_BEAT_SCHEDULE  # noqa: E402,F401
