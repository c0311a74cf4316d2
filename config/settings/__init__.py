"""Settings, all from environment variables. Production differs from the demo only by env."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("WANGGE_DEBUG", False)
SECRET_KEY = os.environ.get("WANGGE_SECRET_KEY") or (
    "insecure-demo-key-set-WANGGE_SECRET_KEY-in-production" if DEBUG or os.environ.get("WANGGE_DEMO") else ""
)
# Left empty, Django itself refuses to start: production must set WANGGE_SECRET_KEY.
ALLOWED_HOSTS = env_list("WANGGE_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("WANGGE_CSRF_TRUSTED_ORIGINS", "")

DATA_DIR = Path(os.environ.get("WANGGE_DATA_DIR", BASE_DIR / "data"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks_db",
    "ninja",  # serves Swagger UI from its own static files: the docs page works offline
    "wangge.core",
    "wangge.accounts",
    "wangge.grids",
    "wangge.routing",
    "wangge.cases",
    "wangge.intake",
    "wangge.stations",
    "wangge.unions",
    "wangge.outreach",
    "wangge.vision",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wangge.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "wangge.core.middleware.BusyDatabaseMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "wangge" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    }
]

# Database: embedded SQLite (WAL) by default, PostgreSQL in production via DATABASE_URL.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'wangge.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                        f"PRAGMA busy_timeout={int(os.environ.get('WANGGE_SQLITE_BUSY_MS', '15000'))};",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login throttling: refuses locked-out attempts first
    "django.contrib.auth.backends.ModelBackend",
]
# Lock a username from one address after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("WANGGE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("WANGGE_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"  # by role: see wangge.core.views.start
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Chinese first, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]  # each in its own language
LOCALE_PATHS = [BASE_DIR / "wangge" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("WANGGE_STATIC_ROOT", BASE_DIR / "staticfiles"))
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("WANGGE_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Background work: Django's tasks API, database-backed worker by default (`manage.py db_worker`).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("WANGGE_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Content Security Policy: everything is served from our own origin.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"] + env_list("WANGGE_TILE_HOSTS", ""),
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("WANGGE_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Map: no tiles by default (works offline). A tile URL template and its coordinate system are settings.
WANGGE_TILE_URL = os.environ.get("WANGGE_TILE_URL", "")
WANGGE_TILE_CRS = os.environ.get("WANGGE_TILE_CRS", "wgs84")  # wgs84 (天地图) or gcj02 (高德)
WANGGE_TILE_ATTRIBUTION = os.environ.get("WANGGE_TILE_ATTRIBUTION", "")
# Coordinate system of imported files unless the import says otherwise.
WANGGE_IMPORT_CRS = os.environ.get("WANGGE_IMPORT_CRS", "wgs84")
# 多格合一: intersections smaller than this (m²) or this share of a grid are slivers, not coverage.
WANGGE_SLIVER_AREA_M2 = float(os.environ.get("WANGGE_SLIVER_AREA_M2", "50"))
WANGGE_SLIVER_SHARE = float(os.environ.get("WANGGE_SLIVER_SHARE", "0.01"))

# Case loop: office hours for working-time SLA clocks, warning share, reopen window, outbound channels.
WANGGE_OFFICE_HOURS = os.environ.get("WANGGE_OFFICE_HOURS", "09:00-12:00,13:30-17:30")
WANGGE_SLA_WARN_SHARE = float(os.environ.get("WANGGE_SLA_WARN_SHARE", "0.8"))
WANGGE_REOPEN_DAYS = int(os.environ.get("WANGGE_REOPEN_DAYS", "7"))
WANGGE_NOTIFY_BACKENDS = env_list("WANGGE_NOTIFY_BACKENDS", "wangge.cases.notify.LoggingBackend")
# SMS provider for one-time phone codes (union joining …): a dotted class path; the default only logs.
WANGGE_SMS_BACKEND = os.environ.get("WANGGE_SMS_BACKEND", "wangge.unions.sms.LoggingSmsBackend")
# One-time phone codes (union join): lifetime, wrong tries per code, codes per phone / per sender an hour, resend gap.
WANGGE_PHONE_CODE_TTL_SECONDS = int(os.environ.get("WANGGE_PHONE_CODE_TTL_SECONDS", "300"))
WANGGE_PHONE_CODE_MAX_ATTEMPTS = int(os.environ.get("WANGGE_PHONE_CODE_MAX_ATTEMPTS", "5"))
WANGGE_PHONE_CODES_PER_HOUR = int(os.environ.get("WANGGE_PHONE_CODES_PER_HOUR", "5"))
WANGGE_PHONE_CODES_PER_SOURCE_HOUR = int(os.environ.get("WANGGE_PHONE_CODES_PER_SOURCE_HOUR", "30"))
WANGGE_PHONE_CODE_RESEND_SECONDS = int(os.environ.get("WANGGE_PHONE_CODE_RESEND_SECONDS", "60"))
# Rider services' flood limits (N per window seconds, per source): station feedback and check-ins, outreach sign-ups
# and survey answers (riders at one event often share one address, hence higher).
WANGGE_STATION_FEEDBACK_RATE = os.environ.get("WANGGE_STATION_FEEDBACK_RATE", "5/600")
WANGGE_STATION_CHECKIN_RATE = os.environ.get("WANGGE_STATION_CHECKIN_RATE", "30/3600")
WANGGE_OUTREACH_RATE = os.environ.get("WANGGE_OUTREACH_RATE", "60/600")
# Video: the case category of gathering alerts, blurring people's heads in stored evidence, retention, sampling,
# cameras per watch job, and the folder test video files must lie in.
WANGGE_VISION_CATEGORY = os.environ.get("WANGGE_VISION_CATEGORY", "SJ0808")
WANGGE_VISION_BLUR_FACES = os.environ.get("WANGGE_VISION_BLUR_FACES", "1") == "1"
WANGGE_VISION_EVIDENCE_DAYS = float(os.environ.get("WANGGE_VISION_EVIDENCE_DAYS", "30"))
WANGGE_VISION_HISTORY_DAYS = float(os.environ.get("WANGGE_VISION_HISTORY_DAYS", "180"))
WANGGE_VISION_FRAME_SECONDS = float(os.environ.get("WANGGE_VISION_FRAME_SECONDS", "5"))
WANGGE_VISION_CAMERAS_PER_JOB = int(os.environ.get("WANGGE_VISION_CAMERAS_PER_JOB", "4"))
WANGGE_VISION_FILE_ROOT = Path(os.environ.get("WANGGE_VISION_FILE_ROOT", DATA_DIR / "vision-files"))
WANGGE_SWEEP_INTERVAL_SECONDS = int(os.environ.get("WANGGE_SWEEP_INTERVAL_SECONDS", "60"))
WANGGE_MAX_PHOTO_BYTES = int(os.environ.get("WANGGE_MAX_PHOTO_BYTES", str(10 * 1024 * 1024)))
WANGGE_KEEP_PHOTO_LOCATION = env_bool("WANGGE_KEEP_PHOTO_LOCATION", False)

# Intake and routing: classifier confidence below which a report goes to triage; duplicate search radius,
# window and the scores above which a report joins an open case by itself (auto) or an operator is asked.
WANGGE_CLASSIFY_THRESHOLD = float(os.environ.get("WANGGE_CLASSIFY_THRESHOLD", "0.6"))
# The scheduler retrains a street's classifier (categories + its closed cases) once it is this old.
WANGGE_RETRAIN_HOURS = float(os.environ.get("WANGGE_RETRAIN_HOURS", "24"))
WANGGE_DEDUPE_RADIUS_M = float(os.environ.get("WANGGE_DEDUPE_RADIUS_M", "80"))
WANGGE_DEDUPE_DAYS = int(os.environ.get("WANGGE_DEDUPE_DAYS", "7"))
WANGGE_DEDUPE_AUTO = float(os.environ.get("WANGGE_DEDUPE_AUTO", "0.8"))
WANGGE_DEDUPE_ASK = float(os.environ.get("WANGGE_DEDUPE_ASK", "0.5"))
# Floods: at most N reports per window from one anonymous source (IP) or API token; 429 beyond.
WANGGE_INTAKE_RATE = os.environ.get("WANGGE_INTAKE_RATE", "20/600")
# The same content from the same source within this many seconds is one report, not two.
WANGGE_INTAKE_REPEAT_SECONDS = int(os.environ.get("WANGGE_INTAKE_REPEAT_SECONDS", "120"))
# Cases the public Open311 listing never shows (major or minor category codes): disputes and public security.
WANGGE_PUBLIC_HIDDEN_CATEGORIES = env_list("WANGGE_PUBLIC_HIDDEN_CATEGORIES", "SJ08")
# Whether Open311 publishes the reporters' own photos of public requests as their media_url (as FixMyStreet
# shows report photos); off: only a URL the client sent is given back and /open311/v2/media/ serves nothing.
WANGGE_OPEN311_PUBLIC_PHOTOS = env_bool("WANGGE_OPEN311_PUBLIC_PHOTOS", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WANGGE_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
