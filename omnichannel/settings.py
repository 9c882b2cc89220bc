"""Settings: environment variables with embedded defaults, so `make run` needs none."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "development-only-key-never-use-in-production-0123456789abcdefghijklmnop"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Benchmark floors (omnichannel/bench_views.py) are mounted only when this is on; the bench
# harness turns it on for the servers it starts. Never in production.
BENCH_FLOORS = env_bool("BENCH_FLOORS", False)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "django_tasks_db",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "omnichannel",
    "accounts",
    "directory",
    "rooms",
    "queues",
    "integrations",
    "integrations.facebook",
    "integrations.apichannel",
    "integrations.webhooks",
    "teamchat",
    "productivity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database that does not answer is a 503 with a message (JSON for API and webhooks).
    "omnichannel.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in user's language (over the browser's) and time zone.
    "accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks, so it sees the outcome of every sign-in attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "omnichannel.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "omnichannel.asgi.application"
# Worker threads a server process serves HTTP requests on (omnichannel/handlers.py); requests
# past them wait for one on the event loop.
REQUEST_THREADS = env_int("REQUEST_THREADS", 16)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "accounts.context_processors.agent_shell",
                "queues.context_processors.omnichannel_sidebar",
            ],
        },
    },
]

# Database: SQLite file by default, anything dj-database-url understands from DATABASE_URL.
DATABASE_URL = os.environ.get("DATABASE_URL", "") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
_database = dj_database_url.parse(DATABASE_URL)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers wait for the lock instead of failing with "database is locked".
    _database["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    # A file, not memory, so that server processes started by browser tests share it; one per
    # test run, so that runs side by side in one tree do not collide.
    _database["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
elif _database["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections under ASGI exhaust PostgreSQL; a pool does not.
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        "pool": {
            "min_size": env_int("DATABASE_POOL_MIN", 1),
            "max_size": env_int("DATABASE_POOL_MAX", 10),
            # Seconds a request waits for a connection before it answers 503.
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
        },
        # Parameters bound by the server (bench ingest: API inbound +12-17 %, Facebook
        # processing +13 %). Off behind PgBouncer in transaction mode.
        "server_side_binding": env_bool("DATABASE_SERVER_SIDE_BINDING", True),
    }
    # A statement a connection has run this many times is prepared: PostgreSQL plans it once
    # (the room read of every live event has six joins: 0.7 ms of planning, 0.07 of running).
    # Django prepares nothing unless told; 0 turns it off (it needs server-side binding).
    _prepare_threshold = env_int("DATABASE_PREPARE_THRESHOLD", 5)
    if _database["OPTIONS"]["server_side_binding"] and _prepare_threshold > 0:
        _database["OPTIONS"]["prepare_threshold"] = _prepare_threshold
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer: Redis when REDIS_URL is set (many processes), in-memory otherwise (one process).
REDIS_URL = os.environ.get("REDIS_URL", "")
_redis_host = {
    "address": REDIS_URL,
    # redis-py 8 defaults socket_timeout to 5 s, the same as channels-redis's BRPOP timeout,
    # which closes every idle socket after ~5 s; and caps a pool at 100 connections, failing
    # (not waiting) past that when many sockets connect at once.
    "socket_timeout": 30,
    "max_connections": env_int("REDIS_MAX_CONNECTIONS", 2000),
}
if REDIS_URL and os.environ.get("CHANNEL_LAYER", "lists") == "pubsub":
    # Redis pub/sub: a group_send is one PUBLISH per group, delivered by Redis to every
    # subscribed process; nothing is kept for a process that is not listening.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [_redis_host]},
        }
    }
elif REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "omnichannel.layers.RedisChannelLayer",
            "CONFIG": {
                "hosts": [_redis_host],
                # Every socket of a process shares one Redis inbox, whose length `capacity`
                # caps (default 100); past it group_send drops events silently. A saturated
                # process fell 100 events behind within seconds (bench scaleout: 4,500 of
                # 14,000 queue.added frames lost), so allow a burst of a few seconds.
                "capacity": env_int("CHANNEL_LAYER_CAPACITY", 2000),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Cache: the throttles' counters. Redis when REDIS_URL is set, so every process counts
# together; short timeouts, so a Redis outage costs a request milliseconds (throttles let it pass).
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, one connection pool per process (omnichannel/cache.py).
            "BACKEND": "omnichannel.cache.SharedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "omnichannel",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Public endpoints past these rates answer 429 with Retry-After (omnichannel/throttle.py). The
# address is REMOTE_ADDR: behind a proxy, run Daphne with --proxy-headers.
THROTTLE_RATES = {
    "livechat_visitor": os.environ.get("LIVECHAT_RATE_PER_VISITOR", "30/min"),
    "livechat_address": os.environ.get("LIVECHAT_RATE_PER_ADDRESS", "300/min"),
    "facebook_address": os.environ.get("FACEBOOK_WEBHOOK_RATE_PER_ADDRESS", "6000/min"),
}

TASKS = {"default": {"BACKEND": "omnichannel.tasks.DatabaseBackend"}}

# Server processes (Daphne, task_worker) dispatch committed events from a thread of their own, so
# a request or task answers once it committed (omnichannel/events.py); off: right after commit,
# in the committing thread (tests, commands, `make run`).
EVENTS_DISPATCH_IN_BACKGROUND = env_bool("EVENTS_DISPATCH_IN_BACKGROUND", False)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions expire after a working shift, and when the browser closes.
# Django's database sessions, read with a compiled statement (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 10)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Repeated failed sign-ins from one address lock that address out for a while.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

FACEBOOK_GRAPH_URL = os.environ.get("FACEBOOK_GRAPH_URL", "https://graph.facebook.com/v21.0")

# Security follows DEBUG, so `check --deploy` is clean with production values.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Scripts only from our own files (or an inline one carrying this response's nonce): a stored
# message that slipped past the sanitiser still could not run. No frame-ancestors: the website
# chat widget is framed by customers' sites (every other page sends X-Frame-Options: DENY).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Any request body over this is a 413 before Django reads it (omnichannel.middleware
# .RequestBodyLimit); above the 10 MiB attachment and 1 MiB Facebook webhook limits, with room
# for a form carrying a few files. Keep nginx's client_max_body_size at the same value.
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 32 * 1024 * 1024)

# REST API (`/api/v1/`): token and session sign-in, one error contract, paginated lists.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 256 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["omnichannel.api.IsAgentOrManager"],
    "DEFAULT_PAGINATION_CLASS": "omnichannel.api.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "omnichannel.api.FilterBackend",
        "omnichannel.api.StrictOrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": ["omnichannel.api.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [
        "omnichannel.api.TokenRateThrottle",
        "omnichannel.api.AnonymousRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("API_RATE_PER_TOKEN", "1200/min"),
        "anon": os.environ.get("API_RATE_ANONYMOUS", "60/min"),
        "inbound": os.environ.get("API_RATE_PER_CHANNEL", "1200/min"),
    },
    "EXCEPTION_HANDLER": "omnichannel.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "omnichannel.api_schema.ApiAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Omnichannel contact center API",
    "DESCRIPTION": (
        "Rooms, queue, contacts, agents and departments of the contact center; the API channel "
        "(inbound messages of external systems); outbound webhook subscriptions. Every error is "
        'JSON `{"detail", "code"}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoomStatusEnum": "rooms.models.Room.Status",
        "DeliveryStatusEnum": "rooms.models.Message.Delivery",
        "ChannelEnum": "directory.models.Channel",
        "AgentStatusEnum": "accounts.models.User.Status",
    },
}

# E-mail (transcripts): printed to the console while DEBUG (make run); SMTP otherwise, with
# EMAIL_HOST, EMAIL_PORT, ...; EMAIL_BACKEND names another backend.
_EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": (
            {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 25),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "timeout": env_int("EMAIL_TIMEOUT", 10),
            }
            if _EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Contact Center <noreply@localhost>")

# Outbound webhooks and API channel callbacks.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
# Targets on loopback, private or link-local addresses are refused (server-side request
# forgery) unless this is on: for development and tests with a local receiver only.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
# Failed sends are retried with exponential back-off for this long; a subscription that has
# failed without a success for as long is disabled and flagged.
WEBHOOK_RETRY_HOURS = env_int("WEBHOOK_RETRY_HOURS", 24)
# API channel replies: attempts before the message is marked failed.
API_CHANNEL_MAX_ATTEMPTS = env_int("API_CHANNEL_MAX_ATTEMPTS", 8)

# Team chat between agents: files only when this is on (off, like customer chats); an author may
# edit or delete their message for this many minutes after sending it.
TEAMCHAT_ALLOW_FILES = env_bool("TEAMCHAT_ALLOW_FILES", False)
TEAMCHAT_EDIT_WINDOW_MINUTES = env_int("TEAMCHAT_EDIT_WINDOW_MINUTES", 15)
