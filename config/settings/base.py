"""Settings shared by every environment, read from the environment (12-factor).

Grouped by concern: the project, the database, sign-in, static files and e-mail, Redis and the
cache, Celery (with its one beat schedule), the pipeline, webhooks and e-mail of alerts, the
REST API, security headers and logging.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

# --- The project --------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "simple_history",
    "core",
    "registry",
    "alerts",
    "imports",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication, so it knows who is signed in; after WhiteNoise, so static files
    # stay cacheable.
    "core.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "alerts.context_processors.navigation",
                "core.context_processors.pipeline",
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Database -----------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writes from the web process and in-process tasks share one file: wait rather than fail,
    # take the write lock up front, and let readers work beside a writer (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the registry's statements are short, but the planner cannot estimate
    # a recursive graph walk and puts it above jit_above_cost, and compiling it then took
    # 400–500 ms of a walk that runs in 10–20 ms (an event preview on a large group).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Sign-in and passwords ----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# How many proxies in front of the app append to X-Forwarded-For (core.signin.client_address).
# 0: the header is ignored and the peer's address is the client's; N: the Nth address from the
# right is. Set it to the number of proxies actually there: more lets clients forge addresses.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

# API tokens issued by the token endpoint or drf_create_token expire after this many days
# (0: never); the admin can set any expiry on a token.
API_TOKEN_EXPIRY_DAYS = env.int("API_TOKEN_EXPIRY_DAYS", default=0)

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Static files and e-mail --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (import runs keep the file they read); never served by the app.
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="vendor-registry@localhost")

# --- Redis and the cache ------------------------------------------------------------------------
# Without REDIS_URL the app still works: tasks run in-process and the cache is per process.
REDIS_URL = env("REDIS_URL", default="")
# Shared by every web process when Redis is there (sign-in throttling counts across them).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # A Redis that is down must not hold a request up (sign-in falls back, core.signin).
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }

# --- Celery -------------------------------------------------------------------------------------
# Without a broker, tasks run in-process once the transaction commits.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="vendor-registry")
# Webhook deliveries and e-mails go to "<CELERY_QUEUE>-notifications" (config.celery_app).
CELERY_TASK_ROUTES = ("config.celery_app.route_task",)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged only once it finished, and re-queued if its worker dies mid-way.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Time limits stay well below the broker's visibility timeout so a task is never run twice
# merely because it was slow.
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 1,
    "socket_timeout": 3,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# django-celery-beat's database scheduler, noting beat's heartbeat on each tick (core.beat).
CELERY_BEAT_SCHEDULER = "core.beat:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE = {
    # Safety nets for work whose task was lost: events and rechecks, webhook deliveries, e-mail.
    "sweep-pending-work": {"task": "registry.tasks.sweep_pending", "schedule": 30.0},
    "sweep-webhook-deliveries": {
        "task": "alerts.tasks.sweep_webhook_deliveries",
        "schedule": 60.0,
    },
    "sweep-email-notifications": {
        "task": "alerts.tasks.sweep_email_notifications",
        "schedule": 60.0,
    },
    "sweep-import-rechecks": {"task": "imports.tasks.sweep_import_rechecks", "schedule": 60.0},
    # The API's Idempotency-Key answers are kept 24 hours (core.idempotency).
    "purge-idempotency-keys": {"task": "core.tasks.purge_idempotency_keys", "schedule": 3600.0},
    # GLEIF publishes at 00:00, 08:00 and 16:00 UTC; its deltas are imported after each.
    "gleif-delta-import": {
        "task": "imports.tasks.import_gleif_delta",
        "schedule": crontab(minute=30, hour="1,9,17"),
    },
    "daily-edge-recheck": {
        "task": "registry.tasks.daily_recheck",
        "schedule": crontab(hour=0, minute=5),
    },
}

# --- The pipeline (registry.services.pipeline) --------------------------------------------------
# Events still pending this long are re-sent by the sweeper.
PIPELINE_SWEEP_AFTER_SECONDS = env.int("PIPELINE_SWEEP_AFTER_SECONDS", default=30)
PIPELINE_MAX_RETRIES = env.int("PIPELINE_MAX_RETRIES", default=5)
# A recheck of more vendors than this is split into chunks of this many, each a task of its
# own (a chunk whose worker died is sent again once its lease runs out, core.leases).
PIPELINE_CHUNK_SIZE = env.int("PIPELINE_CHUNK_SIZE", default=500)
# An event still waiting after PIPELINE_STALLED_AFTER_SECONDS is taking longer than usual: its
# page says why, and risk analysts see a banner while such work waits; a worker or beat not
# seen for PIPELINE_HEARTBEAT_TIMEOUT_SECONDS counts as gone (core.health, core.heartbeats).
PIPELINE_STALLED_AFTER_SECONDS = env.int("PIPELINE_STALLED_AFTER_SECONDS", default=30)
PIPELINE_HEARTBEAT_TIMEOUT_SECONDS = env.int("PIPELINE_HEARTBEAT_TIMEOUT_SECONDS", default=60)
# A worker keeps its database connection from one task to the next for this many seconds
# (config.celery_app: checked before each task, dropped once it broke) rather than connecting
# anew for every task, which cost a typical event more than its own bookkeeping; 0 connects
# for every task.
PIPELINE_WORKER_CONN_MAX_AGE = env.int("PIPELINE_WORKER_CONN_MAX_AGE", default=300)
# Celery's own reset closes every connection around each task unless told how many tasks may
# share one; beyond that count it closes them anyway, which a kept connection can afford.
CELERY_DB_REUSE_MAX = 1000 if PIPELINE_WORKER_CONN_MAX_AGE else None

# --- Scheduled imports (imports.tasks.import_opensanctions_export) ----------------------------
# A FollowTheMoney export the operator downloads to this path (e.g. OpenSanctions'
# entities.ftm.json) is imported daily at OPENSANCTIONS_IMPORT_HOUR:OPENSANCTIONS_IMPORT_MINUTE
# under the source name; a file unchanged since the last run of that source is not read again.
OPENSANCTIONS_EXPORT_PATH = env("OPENSANCTIONS_EXPORT_PATH", default="")
OPENSANCTIONS_SOURCE_NAME = env("OPENSANCTIONS_SOURCE_NAME", default="OpenSanctions")
if OPENSANCTIONS_EXPORT_PATH:
    CELERY_BEAT_SCHEDULE["import-opensanctions-export"] = {
        "task": "imports.tasks.import_opensanctions_export",
        "schedule": crontab(
            hour=env.int("OPENSANCTIONS_IMPORT_HOUR", default=4),
            minute=env.int("OPENSANCTIONS_IMPORT_MINUTE", default=30),
        ),
    }

# --- Imports (imports.services) -----------------------------------------------------------------
# The largest file an API upload may be: a larger one is refused (413) as it arrives, before
# it fills the disk. The importer streams what it reads, so this bounds disk, not memory.
IMPORT_UPLOAD_MAX_BYTES = env.int("IMPORT_UPLOAD_MAX_BYTES", default=1024 * 1024 * 1024)

# --- Spreadsheet uploads of vendors and contracts (imports.spreadsheets) ----------------------
# A larger upload is refused before its content is read (the web page stops reading the
# request at this size); an XLSX may unpack to at most 20 times as much.
SPREADSHEET_UPLOAD_MAX_BYTES = env.int("SPREADSHEET_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
# Rows one upload may have (each dry run and apply reads them all).
SPREADSHEET_MAX_ROWS = env.int("SPREADSHEET_MAX_ROWS", default=50_000)

# --- Scheduled imports (imports.tasks.import_gleif_delta) ---------------------------------------
# Where the operator puts GLEIF's delta files (local paths, or http(s) URLs fetched as they
# are), imported in this order (LEI records, then relationships, then reporting exceptions); a
# file that has not changed since its last import is skipped. Empty: the beat entry does nothing.
GLEIF_DELTA_FILES = env.list("GLEIF_DELTA_FILES", default=[])
GLEIF_SOURCE_NAME = env.str("GLEIF_SOURCE_NAME", default="GLEIF")
# A zipped file larger than this uncompressed is refused (a zip bomb); so is a larger download.
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=16 * 1024**3)

# --- Webhook delivery and e-mail of alerts (alerts.webhooks, alerts.notifications) -------------
# Only tests may deliver to loopback/private addresses.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
WEBHOOK_TIMEOUT_SECONDS = 5
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
# Backoff between attempts: base, ×4 each time, capped at an hour (30 s, 2 min, 8 min, 32 min, 1 h).
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
# Pending deliveries overdue by this long lost their task and are re-sent by the sweeper.
WEBHOOK_SWEEP_AFTER_SECONDS = env.int("WEBHOOK_SWEEP_AFTER_SECONDS", default=120)
# E-mail notifications are kept in an outbox like webhook deliveries, and swept the same way.
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=6)

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "core.api.fields.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "core.api.fields.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Sign-in attempts (web, admin and the token endpoint) per client address and per account.
    "DEFAULT_THROTTLE_RATES": {"auth": "10/min", "auth_account": "10/min"},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vendor Registry API",
    "DESCRIPTION": "Vendors, contracts, the ownership graph behind them, and the risk it carries.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema component per choice set shared by several fields (a vendor's risk_level, an
    # alert's severity, a preview's levels; data_access and data_classification), so the schema
    # has no duplicate enums and `check --deploy --fail-level WARNING` stays clean.
    "ENUM_NAME_OVERRIDES": {
        "RiskLevelEnum": "registry.choices.RiskLevel",
        "DataAccessEnum": "registry.choices.DataAccess",
        "EntityKindEnum": "registry.choices.EntityKind",
        "EventStatusEnum": "registry.choices.EventStatus",
    },
}

# --- Security headers ---------------------------------------------------------------------------
# A Content-Security-Policy of 'self' only (csp.middleware.CSPMiddleware): the pages load their
# scripts and styles as files, never inline. The one inline style allowed, by its hash, is the
# three-line reset in drf-spectacular's Swagger UI page (/api/docs/);
# tests/test_deploy_checks.py renders that page and fails if anything inline on it is not
# allowed by this policy.
SWAGGER_UI_INLINE_STYLE_HASH = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", SWAGGER_UI_INLINE_STYLE_HASH],
        # Swagger UI's and Pico's stylesheets draw their icons as data: URIs.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}

# --- Reporting currency (registry.models.CurrencyRate, the dashboard's exposure) --------------
# Contract values in other currencies are converted to this one with the rates risk analysts
# keep in the admin (Currency rates); a value without a rate is shown apart, never summed.
REPORTING_CURRENCY = env.str("REPORTING_CURRENCY", default="USD")

# --- Single sign-on: OpenID Connect (core.sso, mozilla-django-oidc) -----------------------------
# Off unless the provider is configured: its issuer, the client registered there and its
# endpoints (as its /.well-known/openid-configuration lists them). The callback to register at
# the provider is https://<this host>/accounts/oidc/callback/.
OIDC_OP_ISSUER = env("OIDC_OP_ISSUER", default="")
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", default="") or None
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", default="openid email profile")
OIDC_USE_PKCE = env.bool("OIDC_USE_PKCE", default=True)
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT_SECONDS", default=10)
OIDC_AUTHENTICATION_CALLBACK_URL = "sso-callback"
# What the button on the sign-in page calls the provider: "Sign in with <name>".
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", default="single sign-on")
# The claim that lists the user's groups at the provider, and which of those groups gives which
# role (provider group=role, comma-separated; roles: Viewer, Procurement, Risk analyst). A user
# whose groups map to no role gets OIDC_DEFAULT_ROLE, or is refused when that is empty.
OIDC_GROUPS_CLAIM = env("OIDC_GROUPS_CLAIM", default="groups")
OIDC_ROLE_GROUPS = env.dict("OIDC_ROLE_GROUPS", default={})
OIDC_DEFAULT_ROLE = env("OIDC_DEFAULT_ROLE", default="")
# The claim a new user's username is taken from (else the e-mail's local part, else the subject).
OIDC_USERNAME_CLAIM = env("OIDC_USERNAME_CLAIM", default="preferred_username")
# A first sign-in whose e-mail the provider has verified takes over the one local account with
# that e-mail, instead of creating a new user.
OIDC_LINK_BY_EMAIL = env.bool("OIDC_LINK_BY_EMAIL", default=True)
# SSO is on once all of these are set (and the JWKS endpoint, unless tokens are signed HS256);
# `manage.py check` names what is missing when only some are.
OIDC_REQUIRED_SETTINGS = (
    "OIDC_OP_ISSUER",
    "OIDC_RP_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
)
OIDC_ENABLED = all(globals()[name] for name in OIDC_REQUIRED_SETTINGS) and bool(
    OIDC_OP_JWKS_ENDPOINT or OIDC_RP_SIGN_ALGO.startswith("HS")
)
# Sign-in with a password (web, admin, token endpoint); it can be turned off only with SSO on.
OIDC_LOCAL_SIGNIN = env.bool("OIDC_LOCAL_SIGNIN", default=True) or not OIDC_ENABLED
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("core.sso.RegistryOIDCBackend")
    if not OIDC_LOCAL_SIGNIN:
        AUTHENTICATION_BACKENDS.remove("django.contrib.auth.backends.ModelBackend")

# --- Reports and exports ------------------------------------------------------------------------
# WeasyPrint tells every step of a PDF at INFO; only its warnings are worth a log line.
LOGGING["loggers"] = {
    **LOGGING.get("loggers", {}),
    "weasyprint.progress": {"level": "WARNING"},
}
# A list page's export (?export=csv or xlsx) of more rows than this is refused with a message.
EXPORT_MAX_ROWS = env.int("EXPORT_MAX_ROWS", default=100_000)

# --- Reminders (alerts.reminders) ---------------------------------------------------------------
# The address of the site, for the links in e-mails and chat messages (no trailing slash needed).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# The daily reminders and digests are sent at this hour and minute (UTC).
CELERY_BEAT_SCHEDULE["send-reminders"] = {
    "task": "alerts.tasks.send_reminders",
    "schedule": crontab(
        hour=env.int("REMINDERS_HOUR", default=6), minute=env.int("REMINDERS_MINUTE", default=0)
    ),
}

# --- Leases of background work (core.leases) ---------------------------------------------------
# A worker holds the work it runs for PIPELINE_LEASE_SECONDS and renews it every third of that
# while it runs; work whose lease ran out (its worker died) is sent again by the sweepers, which
# beat runs every PIPELINE_SWEEP_EVERY_SECONDS.
PIPELINE_LEASE_SECONDS = env.int("PIPELINE_LEASE_SECONDS", default=30)
PIPELINE_SWEEP_EVERY_SECONDS = env.int("PIPELINE_SWEEP_EVERY_SECONDS", default=10)
CELERY_BEAT_SCHEDULE["sweep-pending-work"]["schedule"] = float(PIPELINE_SWEEP_EVERY_SECONDS)
CELERY_BEAT_SCHEDULE["sweep-import-rechecks"]["schedule"] = float(PIPELINE_SWEEP_EVERY_SECONDS)
# Workers and beat reconnect to a broker that went away, for as long as it takes; the web
# process's publish retries once on a fresh connection (a publish that still fails is swept).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_TRANSPORT_OPTIONS["health_check_interval"] = 5
