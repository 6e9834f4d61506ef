"""Norma's settings, read from the environment (see docs/configuration.md)."""

from pathlib import Path

import dj_database_url
from whitenoise.compress import Compressor

from norma.env import data_dir, env_bool, env_int, env_int_list, env_list, env_str, secret_key

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()

DEBUG = env_bool("NORMA_DEBUG", False)
SECRET_KEY = secret_key(DATA_DIR)
ALLOWED_HOSTS = env_list("NORMA_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("NORMA_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "js_lib_htmx",
    "django_filters",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "norma.core",
    "norma.standards",
    "norma.planning",
    "norma.documents",
    "norma.people",
    "norma.improvement",
    "norma.operations",
    "norma.audits",
    "norma.reviews",
    "norma.certification",
    "norma.jobs",
    "norma.notifications",
    "norma.webhooks",
    "norma.reports",
    "norma.dataio",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "norma.api.middleware.ApiErrorShapeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "norma.core.middleware.ActorMiddleware",
    "norma.core.middleware.TwoFactorMiddleware",
    "norma.certification.access.RegistrarGuestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

if env_bool("NORMA_BENCH_TIMING", False):
    MIDDLEWARE.insert(0, "norma.core.middleware.TimingMiddleware")

ROOT_URLCONF = "norma.urls"
WSGI_APPLICATION = "norma.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Searched before the apps, so Norma's sign-in and password pages win over the admin's.
        "DIRS": [BASE_DIR / "core" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "norma.core.context_processors.navigation",
            ],
        },
    },
]

# SQLite by default; PostgreSQL through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'norma.sqlite3'}",
        conn_max_age=env_int("NORMA_DB_CONN_MAX_AGE", 0),
    )
}
# SQLite: take the write lock at BEGIN so the busy timeout applies, and make commits durable.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.Person"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "norma.core.auth.PersonBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: lock a username from an address after repeated failures.
AXES_FAILURE_LIMIT = env_int("NORMA_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("NORMA_LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field, though people sign in by email
AXES_USERNAME_CALLABLE = "norma.core.auth.login_username"
AXES_VERBOSE = False

SESSION_COOKIE_AGE = env_int("NORMA_SESSION_HOURS", 8) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
OTP_TOTP_ISSUER = env_str("NORMA_TOTP_ISSUER", "Norma")

# Production hardening; `norma serve` runs with NORMA_DEBUG off and HTTPS on unless told otherwise.
HTTPS = env_bool("NORMA_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("NORMA_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = ["security.W021"]  # HSTS preload is the operator's decision

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("NORMA_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "files"},
    },
    "staticfiles": {
        "BACKEND": "norma.core.storage.NormaStaticFilesStorage"
        if not DEBUG and env_bool("NORMA_MANIFEST_STATIC", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Source maps are only for developers: not worth compressing at every start.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# Attachments: what may be uploaded, and how large.
NORMA_ATTACHMENT_MAX_BYTES = env_int("NORMA_ATTACHMENT_MAX_MB", 25) * 1024 * 1024
NORMA_ATTACHMENT_EXTENSIONS = env_list(
    "NORMA_ATTACHMENT_EXTENSIONS",
    ["pdf", "docx", "xlsx", "pptx", "odt", "ods", "txt", "csv", "png", "jpg", "jpeg", "gif"],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

FILTERS_EMPTY_CHOICE_LABEL = "Any"

# Forms: a link to a table with more rows than this is typed (with suggestions), not chosen
# from a list.
NORMA_SELECT_LIMIT = env_int("NORMA_SELECT_LIMIT", 300)

# Separation of duties (an author does not approve their own work, and so on).
NORMA_SEPARATION_OF_DUTIES = env_bool("NORMA_SEPARATION_OF_DUTIES", True)

# Documents: days a reader has to acknowledge a new effective revision.
NORMA_ACKNOWLEDGE_DAYS = env_int("NORMA_ACKNOWLEDGE_DAYS", 14)

# Risks: the bands of the 5×5 matrix, and the score from which a risk needs actions.
NORMA_RISK_BANDS = env_str("NORMA_RISK_BANDS", "Low:1-4,Medium:5-9,High:10-16,Critical:20-25")
NORMA_RISK_ACTION_SCORE = env_int("NORMA_RISK_ACTION_SCORE", 10)

# People (7.2, 7.3, 9.2.2): when a certificate counts as expiring, how long people have to
# take a course again after a new revision of a linked document, the share of each department
# that must have acknowledged the policy and the objectives, and what qualifies an auditor.
NORMA_EXPIRING_DAYS = env_int("NORMA_EXPIRING_DAYS", 60)
NORMA_RETRAINING_DAYS = env_int("NORMA_RETRAINING_DAYS", 30)
NORMA_AWARENESS_THRESHOLD = env_int("NORMA_AWARENESS_THRESHOLD", 90)
NORMA_INTERNAL_AUDITOR_AUDITS = env_int("NORMA_INTERNAL_AUDITOR_AUDITS", 2)
NORMA_LEAD_AUDITOR_AUDITS = env_int("NORMA_LEAD_AUDITOR_AUDITS", 5)
NORMA_LEAD_AUDITOR_SUPERVISED_LEADS = env_int("NORMA_LEAD_AUDITOR_SUPERVISED_LEADS", 1)

# Internal audits (9.2): whether a lead auditor must be qualified in the register of
# auditors, how long the programme's cycle is (processes and clauses are each audited within
# it), and how many days auditees have to acknowledge an issued finding.
NORMA_AUDIT_LEADS_QUALIFIED = env_bool("NORMA_AUDIT_LEADS_QUALIFIED", True)
NORMA_AUDIT_CYCLE_MONTHS = env_int("NORMA_AUDIT_CYCLE_MONTHS", 36)
NORMA_FINDING_ACKNOWLEDGE_DAYS = env_int("NORMA_FINDING_ACKNOWLEDGE_DAYS", 7)

# Management review (9.3): the longest interval between reviews before readiness says one is
# overdue.
NORMA_REVIEW_INTERVAL_MONTHS = env_int("NORMA_REVIEW_INTERVAL_MONTHS", 12)

# Certification: how many days ahead the quality manager is reminded of the registrar's next
# audit and of the certificate's expiry.
NORMA_CERTIFICATION_LEAD_DAYS = env_int_list("NORMA_CERTIFICATION_LEAD_DAYS", (90, 60, 30))
# Stage 2 wants KPI and objective results over at least one full cycle: this many months.
NORMA_CERTIFICATION_RESULTS_MONTHS = env_int("NORMA_CERTIFICATION_RESULTS_MONTHS", 3)

# Improvement: days an open nonconformity may run past its due date before readiness
# counts it against 10.2.
NORMA_NC_OVERDUE_GRACE_DAYS = env_int("NORMA_NC_OVERDUE_GRACE_DAYS", 30)

# Operations: how soon a calibration counts as due soon; days to answer a complaint, by
# severity; how long a customer satisfaction measurement stays current (9.1.2).
NORMA_CALIBRATION_DUE_SOON_DAYS = env_int("NORMA_CALIBRATION_DUE_SOON_DAYS", 30)
NORMA_COMPLAINT_RESPONSE_DAYS = {
    "critical": env_int("NORMA_COMPLAINT_RESPONSE_DAYS_CRITICAL", 2),
    "major": env_int("NORMA_COMPLAINT_RESPONSE_DAYS_MAJOR", 5),
    "minor": env_int("NORMA_COMPLAINT_RESPONSE_DAYS_MINOR", 10),
}
NORMA_SATISFACTION_PERIOD_MONTHS = env_int("NORMA_SATISFACTION_PERIOD_MONTHS", 12)

# Imports: largest upload, most rows, and how far an XLSX may expand when unpacked.
NORMA_IMPORT_MAX_BYTES = env_int("NORMA_IMPORT_MAX_MB", 50) * 1024 * 1024
NORMA_IMPORT_MAX_ROWS = env_int("NORMA_IMPORT_MAX_ROWS", 200_000)
NORMA_IMPORT_MAX_EXPANDED_BYTES = env_int("NORMA_IMPORT_MAX_EXPANDED_MB", 500) * 1024 * 1024

# Outgoing webhooks: private and loopback targets are refused unless allowed here.
NORMA_WEBHOOK_ALLOW_PRIVATE = env_bool("NORMA_WEBHOOK_ALLOW_PRIVATE", False)
NORMA_WEBHOOK_ALLOWED_HOSTS = env_list("NORMA_WEBHOOK_ALLOWED_HOSTS", [])
NORMA_WEBHOOK_TIMEOUT = env_int("NORMA_WEBHOOK_TIMEOUT", 10)

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

EMAIL_BACKEND = env_str("NORMA_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("NORMA_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("NORMA_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("NORMA_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("NORMA_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("NORMA_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("NORMA_EMAIL_FROM", "norma@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("NORMA_LOG_LEVEL", "WARNING")},
}
