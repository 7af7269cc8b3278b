"""The one settings module of Ombuds, configured by environment variables (see README, Configuration)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ombuds.env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent

DEBUG = envbool("DEBUG", False)

DATA_DIR = Path(envstr("OMBUDS_DATA_DIR") or PROJECT_DIR / "data").resolve()
# The seed codes and the corpus of real codes are other people's words: read from here, never copied.
SHARED_DIR = Path(envstr("OMBUDS_SHARED_DIR") or PROJECT_DIR.parent / "shared").resolve()

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        # A stable key per data directory, so a demo or a single-machine install needs no setup, while
        # the key never lives in the repository. Production sets SECRET_KEY (or SECRET_KEY_FILE).
        key_file = DATA_DIR / "secret_key"
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: of several processes starting at once, exactly one writes the key; the file is
            # created 0600, never readable by others even for a moment.
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            from django.core.management.utils import get_random_secret_key

            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(get_random_secret_key())
        for _attempt in range(50):  # another process may be writing it this very moment
            SECRET_KEY = key_file.read_text(encoding="utf-8").strip()
            if SECRET_KEY:
                break
            time.sleep(0.02)
        else:
            raise ImproperlyConfigured(f"{key_file} is empty; delete it or set SECRET_KEY")
    else:
        SECRET_KEY = "ombuds-insecure-development-key"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "ninja",  # its templates and static files: the API docs page served from our own origin
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "ombuds.accounts.otp_apps.AuthenticatorAppsConfig",  # django_otp.plugins.otp_totp, named
    "ombuds.accounts.otp_apps.RecoveryCodesConfig",  # django_otp.plugins.otp_static, named
    "ombuds.core",
    "ombuds.bodies",
    "ombuds.accounts",
    "ombuds.register",
    "ombuds.codes",
    "ombuds.audit",
    "ombuds.cases",
    "ombuds.credentials",
    "ombuds.members",
    "ombuds.certification",
    "ombuds.compliance",
    "ombuds.operations",
    "ombuds.demo",
]

MIDDLEWARE = [
    # Counts requests for /metrics when OMBUDS_METRICS is on (ombuds.operations); unused otherwise.
    "ombuds.operations.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A NUL character in the address is a 400, never a database error (ombuds.core.http).
    "ombuds.core.http.RefuseNulCharacters",
    # Content-Security-Policy and Permissions-Policy on every response (settings below).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Notes requests that came through a proxy Ombuds was not told about (`ombuds check --deploy`).
    "ombuds.core.http.ForwardedWithoutTrustedProxies",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Times on a body's pages in the body's time zone (Organization.time_zone), reset per request.
    "ombuds.bodies.middleware.BodyTimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Anyone with a role on a body passes a second factor before any other page (ombuds.accounts).
    "ombuds.accounts.middleware.SecondFactorMiddleware",
    "ombuds.accounts.middleware.AccountSessionMiddleware",
    # Signing in or out ends a complainant's own session in this browser (ombuds.cases).
    "ombuds.cases.followup_session.FollowupSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A page showing an error summary has a title starting "Error: " (ombuds.core.http).
    "ombuds.core.http.ErrorTitle",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "ombuds.urls"
# runserver's application (development: no start-up check); servers run ombuds.wsgi:application.
WSGI_APPLICATION = "ombuds.operations.devserver.application"

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
                "ombuds.bodies.context_processors.staff_bodies",
            ],
        },
    },
]

# Django's form renderer, its simplest widgets written without their templates (the same HTML).
FORM_RENDERER = "ombuds.core.form_renderer.FormRenderer"

_database_url = envstr("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'ombuds.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(_database_url, conn_max_age=envint("DB_CONN_MAX_AGE", 0))
    }
except Exception as exc:  # dj_database_url raises several types for a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters sent apart from the statement (server-side binding) and a statement prepared once
    # a connection has run it DB_PREPARE_THRESHOLD times: PostgreSQL then skips parsing and
    # planning it, most of its cost for a page's small queries (a register lookup: 0.46 ms of the
    # server's CPU, 0.12 prepared). 0 turns both off, for a pooler in transaction mode that does
    # not keep prepared statements (PgBouncer before 1.21, or without max_prepared_statements).
    _prepare_threshold = envint("DB_PREPARE_THRESHOLD", 5)
    if _prepare_threshold > 0:
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=_prepare_threshold
        )
# Django's backends, each linking a transaction's audit events as it commits (ombuds.audit.backends).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's default test database for SQLite, said outright: tools that recognise SQLite by
    # Django's engine name (pytest-django's xdist suffix) keep it in memory under ours too.
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", ":memory:")
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.postgresql": "ombuds.audit.backends.postgresql",
    "django.db.backends.sqlite3": "ombuds.audit.backends.sqlite3",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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

LANGUAGE_CODE = "en"
# The languages of the site's own words (docs/translating.md adds one); a body offers some of them
# on its public pages (Organization.languages). The visitor's choice (the switch in the header, kept
# in a cookie) or their browser's Accept-Language picks one.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["ombuds.formats"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
# The body's time zone (deadlines, the daily work's hour). `check --deploy` warns while it is not set.
TIME_ZONE = envstr("TIME_ZONE") or "UTC"
OMBUDS_TIME_ZONE_SET = bool(envstr("TIME_ZONE"))
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT") or DATA_DIR / "static")
# Uploaded files (case documents, recertification evidence, CSV files waiting to be imported) go
# through Django's storage API: under the data directory by default; in an S3-compatible object store
# (django-storages) when OMBUDS_S3_BUCKET is set, so that several application servers share them.
# Private either way: objects are written with a private ACL and never linked to; Ombuds' own views,
# which check who asks, read them and send them on (docs/deployment.md, "Several machines").
_s3_bucket = envstr("OMBUDS_S3_BUCKET")
if _s3_bucket:
    _s3_endpoint = envstr("OMBUDS_S3_ENDPOINT_URL") or None
    _uploads_storage = {
        # Encrypted on save, decrypted on open: the store holds only ciphertext (ombuds.core.encrypted).
        "BACKEND": "ombuds.core.encrypted_s3.EncryptedS3Storage",
        "OPTIONS": {
            "bucket_name": _s3_bucket,
            "endpoint_url": _s3_endpoint,
            "region_name": envstr("OMBUDS_S3_REGION") or None,
            # Unset: boto3's own chain (an instance role, AWS_* variables, ~/.aws).
            "access_key": envstr("OMBUDS_S3_ACCESS_KEY") or None,
            "secret_key": envstr("OMBUDS_S3_SECRET_KEY") or None,
            "location": (envstr("OMBUDS_S3_PREFIX") or "").strip("/"),
            # Self-hosted stores (SeaweedFS, MinIO, Ceph) want bucket names in the path.
            "addressing_style": envstr("OMBUDS_S3_ADDRESSING_STYLE")
            or ("path" if _s3_endpoint else None),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            # Like the local disk: a name already taken gets a new one, never overwrites.
            "file_overwrite": False,
        },
    }
else:
    # Encrypted on save, decrypted on open, files 0600 and folders 0700 (ombuds.core.encrypted).
    _uploads_storage = {"BACKEND": "ombuds.core.encrypted.EncryptedFileSystemStorage"}
STORAGES = {
    "default": _uploads_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        # collectstatic's hashed names; the plain names before it has run (ombuds/operations/static.py)
        else "ombuds.operations.static.ManifestOrPlainStorage"
    },
}
# Without collectstatic's manifest (a development server), WhiteNoise serves the apps' own files.
WHITENOISE_USE_FINDERS = DEBUG or not (STATIC_ROOT / "staticfiles.json").is_file()
WHITENOISE_AUTOREFRESH = DEBUG
# Uploaded files live outside the web root and are served only through views that check access.
MEDIA_ROOT = DATA_DIR / "media"

TASKS = {
    "default": {
        "BACKEND": envstr("TASKS_BACKEND", "django_tasks_db.backend.DatabaseBackend"),
    }
}

EMAIL_BACKEND = envstr("OMBUDS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("OMBUDS_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("OMBUDS_EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("OMBUDS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = envstr("OMBUDS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = envbool("OMBUDS_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = envstr("OMBUDS_EMAIL_FROM", "ombuds@localhost")

LOGIN_URL = "login"
# Staff land on their staff home, everyone else on the site's home page (ombuds.staff_home).
LOGIN_REDIRECT_URL = "after_sign_in"
LOGOUT_REDIRECT_URL = "home"

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
if envbool("SECURE_PROXY_SSL", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Nothing from other origins, no inline script or style, no framing (django-csp). A response that
# sets its own policy (a downloaded file's sandbox) keeps it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
    }
}
# Browser features no page of Ombuds uses, refused to every page (django-permissions-policy).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "fullscreen": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}
# The key that wraps each body's data keys (for the encryption of personal content at rest): a
# secret of its own, never the SECRET_KEY. `check --deploy` warns while it is not set. Best given as
# OMBUDS_MASTER_KEY_FILE, kept apart from the data and its backups. A key that cannot be read or is
# not 32 bytes of base64 stops every process at start with the reason in one line (ombuds.core.crypto
# reads the file again to name it). With neither, a key is generated into the data directory
# (master_key, 0600), like the secret key: fit for a demo, not for production.
OMBUDS_MASTER_KEY_FILE = os.environ.get("OMBUDS_MASTER_KEY_FILE", "")
try:
    OMBUDS_MASTER_KEY = envstr("OMBUDS_MASTER_KEY", "")
except ImproperlyConfigured:
    OMBUDS_MASTER_KEY = ""
# While the master key is replaced (`ombuds keys rewrap`): the old key's file (or several, by
# commas), which still opens the data keys not yet re-wrapped. Remove it once the rewrap is done.
OMBUDS_MASTER_KEY_PREVIOUS_FILE = os.environ.get("OMBUDS_MASTER_KEY_PREVIOUS_FILE", "")
# Only benchmarks/encryption_cost.py turns this off, to measure what the encryption of fields costs.
OMBUDS_ENCRYPT_FIELDS = True
# The audit chain (ombuds.audit): its links are HMACs keyed by OMBUDS_AUDIT_KEY (or
# OMBUDS_AUDIT_KEY_FILE), derived from the master key when not set; checkpoints are signed with the
# Ed25519 key in OMBUDS_AUDIT_SIGNING_KEY_FILE (`ombuds audit keygen`), and the daily work writes one
# into OMBUDS_AUDIT_CHECKPOINT_DIR when it is set (a directory the operator keeps elsewhere).
OMBUDS_AUDIT_KEY = envstr("OMBUDS_AUDIT_KEY", "")
# The audit keys the chain was linked with before `ombuds audit rotate-key` (files, by commas; a
# file may hold an old master key the chain key was derived from): `ombuds audit verify` needs them.
OMBUDS_AUDIT_KEY_PREVIOUS_FILES = os.environ.get("OMBUDS_AUDIT_KEY_PREVIOUS_FILES", "")
OMBUDS_AUDIT_SIGNING_KEY_FILE = envstr("OMBUDS_AUDIT_SIGNING_KEY_FILE", "")
OMBUDS_AUDIT_CHECKPOINT_DIR = envstr("OMBUDS_AUDIT_CHECKPOINT_DIR", "")
# The erasure journal (ombuds.core.erasure_journal): one file per erasure, re-applied after a restore
# so that an older backup does not bring an erased case back. Keep it outside what backups restore;
# when not set, "ombuds-erasures" beside OMBUDS_AUDIT_CHECKPOINT_DIR, else "erasures" in the data dir.
OMBUDS_ERASURE_JOURNAL_DIR = envstr("OMBUDS_ERASURE_JOURNAL_DIR", "")

# Accounts (ombuds.accounts): invitations expire after this many days; anyone with a role on a body
# must pass a second factor (TOTP or a recovery code) after their password.
OMBUDS_INVITATION_DAYS = envint("OMBUDS_INVITATION_DAYS", 7)
OMBUDS_REQUIRE_SECOND_FACTOR = envbool("OMBUDS_REQUIRE_SECOND_FACTOR", True)
OMBUDS_SIGN_IN_ATTEMPTS_PER_HOUR = envint("OMBUDS_SIGN_IN_ATTEMPTS_PER_HOUR", 20)
OTP_TOTP_ISSUER = envstr("OMBUDS_OTP_ISSUER", "Ombuds")
# Sessions end after two weeks, or at once when their owner signs out everywhere.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 14 * 24 * 3600)

# API tokens (ombuds.register.tokens): a new token expires this many days from today unless its
# maker chooses another day, at most OMBUDS_API_TOKEN_MAX_DAYS away.
OMBUDS_API_TOKEN_DAYS = envint("OMBUDS_API_TOKEN_DAYS", 90)
OMBUDS_API_TOKEN_MAX_DAYS = envint("OMBUDS_API_TOKEN_MAX_DAYS", 365)

# The largest code text an import accepts, in bytes.
OMBUDS_MAX_CODE_BYTES = envint("OMBUDS_MAX_CODE_BYTES", 20 * 1024 * 1024)
# The largest compliance return the members' API takes in one request (all its files), in bytes:
# the files stream to temporary files on disk, never whole into memory (ombuds.api.multipart).
OMBUDS_COMPLIANCE_UPLOAD_MAX_BYTES = envint("OMBUDS_COMPLIANCE_UPLOAD_MAX_BYTES", 1024**3)

# The public register: what a search may ask and how often (see ombuds/register/public.py).
OMBUDS_REGISTER_SEARCH_MIN_CHARS = envint("OMBUDS_REGISTER_SEARCH_MIN_CHARS", 3)
OMBUDS_REGISTER_SEARCH_LIMIT = envint("OMBUDS_REGISTER_SEARCH_LIMIT", 20)
OMBUDS_REGISTER_SEARCH_SCAN = envint("OMBUDS_REGISTER_SEARCH_SCAN", 500)
OMBUDS_REGISTER_SEARCHES_PER_MINUTE = envint("OMBUDS_REGISTER_SEARCHES_PER_MINUTE", 30)
OMBUDS_REGISTER_LOOKUPS_PER_MINUTE = envint("OMBUDS_REGISTER_LOOKUPS_PER_MINUTE", 60)
OMBUDS_REGISTER_BULK_UPLOADS_PER_HOUR = envint("OMBUDS_REGISTER_BULK_UPLOADS_PER_HOUR", 10)
# Cases: complaints filed per client, and anonymous follow-up sign-in attempts (passphrase guessing).
OMBUDS_COMPLAINTS_PER_HOUR = envint("OMBUDS_COMPLAINTS_PER_HOUR", 20)
OMBUDS_FOLLOWUP_ATTEMPTS_PER_HOUR = envint("OMBUDS_FOLLOWUP_ATTEMPTS_PER_HOUR", 10)
# Days a closed case keeps its personal content before the daily clock purges it (0: for ever).
# Days an agency has to answer a client's complaint before the client's record of it proves
# reasonable efforts to resolve (CSEC Article 5); an answer or a closure proves it at once.
OMBUDS_FIRST_TIER_DAYS = envint("OMBUDS_FIRST_TIER_DAYS", 14)
OMBUDS_CASE_RETENTION_DAYS = envint("OMBUDS_CASE_RETENTION_DAYS", 0)
# The site's address, for links in notices (a respondent's personal link).
OMBUDS_BASE_URL = envstr("OMBUDS_BASE_URL", "http://127.0.0.1:8000")
OMBUDS_REGISTER_BULK_MAX_ROWS = envint("OMBUDS_REGISTER_BULK_MAX_ROWS", 500)
OMBUDS_REGISTER_BULK_MAX_BYTES = envint("OMBUDS_REGISTER_BULK_MAX_BYTES", 256 * 1024)
# Compliance returns filed on the agencies' pages: the largest CSV file a page takes, in bytes (the
# proxy in front must take a request this large too; the command line has no limit).
OMBUDS_COMPLIANCE_MAX_FILE_BYTES = envint("OMBUDS_COMPLIANCE_MAX_FILE_BYTES", 100 * 1024 * 1024)
# How many reverse proxies in front of Ombuds append to X-Forwarded-For (0: use the socket address).
OMBUDS_TRUSTED_PROXIES = envint("OMBUDS_TRUSTED_PROXIES", 0)

# The cache every worker process shares: files under the data directory on one machine; Redis
# (OMBUDS_REDIS_URL, e.g. redis://10.0.0.5:6379/0) across machines. Rate limits count in the
# database, so they hold across processes and machines with either.
_redis_url = envstr("OMBUDS_REDIS_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}
    if _redis_url
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
    }
}

# OMBUDS_LOG_FORMAT=json: one JSON object per line (python-json-logger), for a log collector.
OMBUDS_LOG_FORMAT = envstr("OMBUDS_LOG_FORMAT", "text")
if OMBUDS_LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"OMBUDS_LOG_FORMAT must be text or json, not {OMBUDS_LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"}
        | ({"formatter": "json"} if OMBUDS_LOG_FORMAT == "json" else {})
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
}

# Operations (ombuds.operations, README "Production"): the worker (`ombuds worker`) runs the daily
# work at this local time (settings.TIME_ZONE; bodies have no time zone of their own), says it is
# alive every OMBUDS_HEARTBEAT_SECONDS, and counts as gone after OMBUDS_WORKER_SILENT_AFTER seconds
# of silence; a task still running after OMBUDS_TASK_TIMEOUT seconds on a worker that left no
# heartbeat counts as abandoned. /healthz answers 503 when the worker is silent only if asked to.
OMBUDS_DAILY_AT = envstr("OMBUDS_DAILY_AT", "02:30")
OMBUDS_HEARTBEAT_SECONDS = envint("OMBUDS_HEARTBEAT_SECONDS", 30)
OMBUDS_WORKER_SILENT_AFTER = envint("OMBUDS_WORKER_SILENT_AFTER", 300)
OMBUDS_TASK_TIMEOUT = envint("OMBUDS_TASK_TIMEOUT", 3600)
OMBUDS_HEALTHZ_REQUIRE_WORKER = envbool("OMBUDS_HEALTHZ_REQUIRE_WORKER", False)
# /metrics (Prometheus text format): off unless OMBUDS_METRICS; with OMBUDS_METRICS_TOKEN set, only
# for `Authorization: Bearer <token>`.
OMBUDS_METRICS = envbool("OMBUDS_METRICS", False)
OMBUDS_METRICS_TOKEN = envstr("OMBUDS_METRICS_TOKEN", "")
