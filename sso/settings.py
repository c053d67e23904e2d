"""Settings of the SSO portal, read from the environment (12-factor).

Every setting has a documented default that suits the embedded mode of ``make run``
(SQLite, Celery tasks inline, mail to the console). Production sets at least
``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DATABASE_URL``; see ``.env.example``.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# --- Core -----------------------------------------------------------------------------------
# DEBUG is off unless asked for; `make run` turns it on.
DEBUG = env.bool("DEBUG", default=False)
# The development key lets manage.py commands run anywhere; production must set its own:
# `check --deploy` flags this one (W009) and sso/wsgi.py refuses to serve with it unless DEBUG.
DEV_SECRET_KEY = "django-insecure-development-key-for-make-run-only"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# Origins trusted for CSRF (scheme + host), needed behind a TLS-terminating proxy.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "sso.admin_config.PortalAdminConfig",  # django.contrib.admin, lighter at start
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "mfa.apps.AuthenticatorAppsConfig",  # django_otp.plugins.otp_totp
    "oauth2_provider",
    "import_export",
    "accounts",
    "accounts.overview",
    "mfa",
    "mfa.passkeys",
    "mfa.sms",
    "mfa.rollout",
    "sso.oidc",
    "accounts.provisioning",
    "sso.saml",
]

MIDDLEWARE = [
    # First, so that every answer gets it, the early refusals of the middlewares below too
    # (the input check's 400, the session's 503, a static file, APPEND_SLASH's redirect).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # CSP, the 503 page while Redis or the broker is out of reach, localhost in development.
    "sso.middleware.PortalMiddleware",
    "sso.oidc.middleware.MachineEndpointMiddleware",  # token, JWKS...: no session, no CSRF
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, answering 503 when Redis holds a session it cannot reach (sso/sessions.py).
    "sso.sessions.SessionMiddleware",
    # Django's, without the language-prefix work the portal's URLconf never needs (sso/locale.py).
    "sso.locale.LocaleMiddleware",
    "sso.request_input.RequestInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django's, by this exact name (check --deploy looks for it); PortalMiddleware makes its
    # tokens' random strings in one system call each (sso/csrf.py).
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, reading the signed-in user by a statement built once (accounts/session_user.py).
    "accounts.session_user.AuthenticationMiddleware",
    # Django's, building the message storage only for a request that uses it (sso/middleware.py).
    "sso.middleware.MessageMiddleware",
    # The password-change and MFA rollout gates; the language and device cookies and the SAML
    # Single Logout chain a view asked the response for (inside the session middleware).
    # django-otp's OTPMiddleware is left out: nothing reads user.otp_device (the portal keeps
    # its own record of the factors a session proved), and it wrapped request.user once more.
    "accounts.middleware.AccountMiddleware",
]

# Django's form renderer, with the plain <input> widgets written without a template each.
FORM_RENDERER = "sso.templating.FormRenderer"
ROOT_URLCONF = "sso.urls"
WSGI_APPLICATION = "sso.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # Django's cached loader, one compiled copy per language with the constant tags
            # ({% translate %}, {% url %}, {% static %}) rendered once (sso/templating.py).
            "loaders": [
                (
                    "sso.templating.Loader",
                    [
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "sso.context_processors.i18n",  # Django's, once per language
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sso.context_processors.portal",
                "mfa.rollout.context_processors.rollout",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------------------------
# DATABASE_URL: default SQLite file next to manage.py; PostgreSQL in production and CI.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
# A kept connection is checked by a round trip before a request's first query: one the server is
# ending (pg_terminate_backend, a restart, idle_session_timeout) may have sent nothing yet, and
# only a round trip reaches its server process after the signal (tests/test_database_ended.py).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, checking a kept connection with an empty query, not SELECT 1 (sso/db/postgresql).
    DATABASES["default"]["ENGINE"] = "sso.db.postgresql"
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Take the write lock when a transaction starts, so a web process and a worker never
    # deadlock upgrading a read to a write ("database is locked").
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
if DATABASES["default"]["ENGINE"].endswith("postgresql") and env.bool(
    "DB_PREPARED_STATEMENTS", default=True
):
    # Server-side parameters and prepared statements: psycopg prepares a statement once a
    # connection ran it DB_PREPARE_THRESHOLD times, so PostgreSQL parses and plans each of a
    # sign-in's statements once per connection instead of at every request. Set it false
    # behind a pooler in transaction mode (PgBouncer before 1.21), which cannot keep them.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=env.int("DB_PREPARE_THRESHOLD", default=5)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# REDIS_URL: optional. With it, the cache (rate limits, lockout counters) and the Celery broker
# live in Redis; without it the cache is Django's database cache and tasks run inline.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, reusing its redis-py client (sso/cache.py).
            "BACKEND": "sso.cache.PortalRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sso",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "sso_cache",
            # Django culls a third of the entries (the first by key, live or not) past 300:
            # requests anyone can send (a password reset, a SAML request) would push out an
            # admin's import waiting for Confirm import, and every other entry.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    }

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
# A task is acknowledged only once it has finished, so a worker that dies mid-task does not lose it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long Redis keeps a taken but unacknowledged task (a worker died) before delivering it
# again. It must exceed the longest countdown of a retried task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
CELERY_TIMEZONE = env.str("TIME_ZONE", default="Asia/Jakarta")
# Periodic work for `celery -A sso beat`: retention of the audit trail and expired rows.
CELERY_BEAT_SCHEDULE = {
    "prune-audit-events": {"task": "accounts.tasks.prune_audit_events", "schedule": 60 * 60 * 24},
    "mfa-cleanup": {"task": "mfa.tasks.cleanup", "schedule": 60 * 60},
    # The admins' Overview reads hourly counts; the current hour is always counted live.
    "overview-roll-up": {
        "task": "accounts.overview.tasks.roll_up_overview",
        "schedule": 60 * 10,
    },
    # MFA rollout: reminder mails (each person at most once a week) and the adoption trend.
    "mfa-rollout-reminders": {
        "task": "mfa.rollout.tasks.send_due_reminders",
        "schedule": 60 * 60 * 24,
    },
    "mfa-rollout-snapshot": {
        "task": "mfa.rollout.tasks.snapshot_adoption",
        "schedule": 60 * 60 * 24,
    },
}

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Argon2id first (design.md, Security defaults); the others only verify old hashes, except
# secret_sha256, which relying apps' client secrets use (random, so a slow hash buys nothing).
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "accounts.hashers.RandomSecretHasher",
]
# Argon2id cost, OWASP's minimum by default: t=2 passes over m=19 MiB with one lane. Stored hashes
# with other parameters are re-hashed at the next sign-in; `check --deploy` warns below OWASP's.
ACCOUNTS_ARGON2_TIME_COST = env.int("ACCOUNTS_ARGON2_TIME_COST", default=2)
ACCOUNTS_ARGON2_MEMORY_KIB = env.int("ACCOUNTS_ARGON2_MEMORY_KIB", default=19456)
ACCOUNTS_ARGON2_PARALLELISM = env.int("ACCOUNTS_ARGON2_PARALLELISM", default=1)

# ACCOUNTS_PASSWORD_MIN_LENGTH: default 12 (NIST SP 800-63B allows 8, ASVS L2 asks 12).
ACCOUNTS_PASSWORD_MIN_LENGTH = env.int("ACCOUNTS_PASSWORD_MIN_LENGTH", default=12)
# ACCOUNTS_PASSWORD_MAX_LENGTH: at least 64 per NIST; 128 here, never truncated (Argon2).
ACCOUNTS_PASSWORD_MAX_LENGTH = env.int("ACCOUNTS_PASSWORD_MAX_LENGTH", default=128)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": ACCOUNTS_PASSWORD_MIN_LENGTH},
    },
    {
        "NAME": "accounts.validators.MaximumLengthValidator",
        "OPTIONS": {"max_length": ACCOUNTS_PASSWORD_MAX_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A password-reset link lives one hour and dies once used (the token covers the password hash).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)

# Brute-force protection (seeds/001). Failures are counted in the cache, shared by all processes.
ACCOUNTS_LOCKOUT_THRESHOLD = env.int("ACCOUNTS_LOCKOUT_THRESHOLD", default=5)
ACCOUNTS_LOCKOUT_MINUTES = env.int("ACCOUNTS_LOCKOUT_MINUTES", default=15)
# Per client IP the limit is higher: many people may share one NAT address.
ACCOUNTS_IP_FAILURE_LIMIT = env.int("ACCOUNTS_IP_FAILURE_LIMIT", default=50)
ACCOUNTS_IP_BLOCK_MINUTES = env.int("ACCOUNTS_IP_BLOCK_MINUTES", default=15)
# Per client network (an IPv4 /24, an IPv6 /64) in the same window: addresses next to each other
# count together, so walking through them (an IPv6 host owns a whole /64) does not reset the
# count. Higher again: a campus or an office may sit in one network.
ACCOUNTS_NETWORK_FAILURE_LIMIT = env.int("ACCOUNTS_NETWORK_FAILURE_LIMIT", default=200)
ACCOUNTS_NETWORK_PREFIX_V4 = env.int("ACCOUNTS_NETWORK_PREFIX_V4", default=24)
ACCOUNTS_NETWORK_PREFIX_V6 = env.int("ACCOUNTS_NETWORK_PREFIX_V6", default=64)
# Forgot-password requests per client IP per hour.
ACCOUNTS_RESET_REQUESTS_PER_HOUR = env.int("ACCOUNTS_RESET_REQUESTS_PER_HOUR", default=10)
# How long the username-first sign-in may stay half done before it starts again.
ACCOUNTS_SIGNIN_TIMEOUT_SECONDS = env.int("ACCOUNTS_SIGNIN_TIMEOUT_SECONDS", default=600)

# Audit trail: events older than this many days are pruned by a daily task.
ACCOUNTS_AUDIT_RETENTION_DAYS = env.int("ACCOUNTS_AUDIT_RETENTION_DAYS", default=365)
# seeds/002's location factor as an audit record: the browser may share a coarse position at
# sign-in, with the user's consent. Off by default.
ACCOUNTS_LOCATION_ENABLED = env.bool("ACCOUNTS_LOCATION_ENABLED", default=False)
# seeds/003's personal security question, asked after the second factor. Off by default:
# NIST SP 800-63B (5.1.1.2) advises against knowledge-based questions.
ACCOUNTS_SECURITY_QUESTION_ENABLED = env.bool("ACCOUNTS_SECURITY_QUESTION_ENABLED", default=False)
# Mail the user when they sign in from a browser the account has not used before.
ACCOUNTS_NEW_DEVICE_ALERTS = env.bool("ACCOUNTS_NEW_DEVICE_ALERTS", default=True)
# Invitations (accounts/invitations): days a link lives, and the highest rate one Celery worker
# sends invitation mails at (Celery's rate_limit syntax: "10/s", "300/m").
ACCOUNTS_INVITE_DAYS = env.int("ACCOUNTS_INVITE_DAYS", default=7)
ACCOUNTS_INVITE_RATE = env.str("ACCOUNTS_INVITE_RATE", default="10/s")
# Self-registration (accounts/registration): "closed" (default: no page), "open", or "domains"
# (only addresses of ACCOUNTS_SIGNUP_DOMAINS, exact domain names). `make run` opens it.
ACCOUNTS_SIGNUP = env.str("ACCOUNTS_SIGNUP", default="closed")
ACCOUNTS_SIGNUP_DOMAINS = env.list("ACCOUNTS_SIGNUP_DOMAINS", default=[])
# Hours the verification link lives; sign-ups per client IP and per address per hour.
ACCOUNTS_SIGNUP_LINK_HOURS = env.int("ACCOUNTS_SIGNUP_LINK_HOURS", default=24)
ACCOUNTS_SIGNUP_PER_IP_PER_HOUR = env.int("ACCOUNTS_SIGNUP_PER_IP_PER_HOUR", default=10)
ACCOUNTS_SIGNUP_PER_ADDRESS_PER_HOUR = env.int("ACCOUNTS_SIGNUP_PER_ADDRESS_PER_HOUR", default=3)
# The terms of use a person must accept to register (empty: no checkbox).
ACCOUNTS_TERMS_URL = env.str("ACCOUNTS_TERMS_URL", default="")
# Bulk import (accounts/imports): the largest file (bytes) and the most rows one file may have.
ACCOUNTS_IMPORT_MAX_BYTES = env.int("ACCOUNTS_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
ACCOUNTS_IMPORT_MAX_ROWS = env.int("ACCOUNTS_IMPORT_MAX_ROWS", default=50_000)
# The most rows the admin's Import takes (at most ACCOUNTS_IMPORT_MAX_ROWS). Its preview and its
# confirmation each run in one web request, which must end within the web server's timeout
# (gunicorn's default: 30 s); 5,000 rows take about 9 s each on a quiet 2-core machine
# (docs/performance.md). Larger files go through manage.py import_accounts, which has no timeout.
ACCOUNTS_IMPORT_ADMIN_MAX_ROWS = env.int("ACCOUNTS_IMPORT_ADMIN_MAX_ROWS", default=5_000)
# django-import-export: a cell that starts with = + - @ is exported as text, never as a formula.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_USE_TRANSACTIONS = True
# The admin's upload, kept from its preview to Confirm import in the cache (Redis: every node
# sees it), never as a file of the temporary folder (accounts/imports/screens.py).
IMPORT_EXPORT_TMP_STORAGE_CLASS = "accounts.imports.screens.PendingImportStorage"
# A person may delete their own account after a fresh sign-in (UU 27/2022); audit rows stay
# under a pseudonym. Off by default: an organisation may have to keep accounts.
ACCOUNTS_SELF_DELETE = env.bool("ACCOUNTS_SELF_DELETE", default=False)
# What "Download my data" contains: functions (user) -> JSON-serialisable data, one per section.
ACCOUNTS_DATA_EXPORT_SECTIONS = [
    "accounts.profile.data_export.profile",
    "accounts.profile.data_export.second_factors",
    "accounts.profile.data_export.trusted_devices",
    "accounts.profile.data_export.signed_in_sessions",
    "accounts.profile.data_export.invitations",
    "accounts.profile.data_export.audit_events",
]
ACCOUNTS_DEVICE_COOKIE_NAME = env.str(
    "ACCOUNTS_DEVICE_COOKIE_NAME",
    default="__Host-sso_device" if env.bool("SECURE_HTTPS", default=not DEBUG) else "sso_device",
)

# --- Multi-factor authentication -----------------------------------------------------------
# A sensitive change (adding or removing a factor ...) needs a proof this recent, in seconds.
MFA_REAUTH_SECONDS = env.int("MFA_REAUTH_SECONDS", default=600)
# Who must have a second factor until an admin saves "MFA policy for everyone" in Django admin
# (mfa.rollout): "none", "staff" (default) or "all". Those without one enrol after the password.
MFA_REQUIRED_FOR = env.str("MFA_REQUIRED_FOR", default="staff")
# MFA rollout reminder mails: at most one per person per this many days (Celery beat).
MFA_ROLLOUT_REMINDER_INTERVAL_DAYS = env.int("MFA_ROLLOUT_REMINDER_INTERVAL_DAYS", default=7)
# How long the half-signed-in state (password done, challenge not yet) lives.
MFA_PENDING_SECONDS = env.int("MFA_PENDING_SECONDS", default=600)
# E-mail and SMS codes (design.md, Factors): 6 digits, 5 minutes, resend after a cooldown,
# at most 3 sends per window then blocked a while, at most 5 wrong tries per sign-in attempt.
MFA_CODE_TTL_SECONDS = env.int("MFA_CODE_TTL_SECONDS", default=300)
MFA_CODE_RESEND_SECONDS = env.int("MFA_CODE_RESEND_SECONDS", default=30)
MFA_CODE_MAX_SENDS = env.int("MFA_CODE_MAX_SENDS", default=3)
MFA_CODE_SEND_WINDOW_SECONDS = env.int("MFA_CODE_SEND_WINDOW_SECONDS", default=900)
MFA_CODE_BLOCK_SECONDS = env.int("MFA_CODE_BLOCK_SECONDS", default=900)
MFA_CODE_MAX_FAILURES = env.int("MFA_CODE_MAX_FAILURES", default=5)
# Wrong second-factor answers per account in 24 hours before the account locks for the rest
# of that day. This bounds an attacker who knows the password: see docs and tests/mfa.
MFA_MAX_FAILURES_PER_DAY = env.int("MFA_MAX_FAILURES_PER_DAY", default=20)
# "Trust this device" (seeds/000): checked = this many days; unchecked = until midnight.
MFA_TRUST_DAYS = env.int("MFA_TRUST_DAYS", default=14)
MFA_TRUST_COOKIE_NAME = env.str(
    "MFA_TRUST_COOKIE_NAME",
    default="__Host-sso_trusted_device"
    if env.bool("SECURE_HTTPS", default=not DEBUG)
    else "sso_trusted_device",
)
# The Celery task that delivers a code, per channel (one interface: task(challenge_id, generation)).
# First retry delay of a code mail that met an SMTP error; doubled at each of the 4 retries.
MFA_EMAIL_RETRY_BASE_SECONDS = env.int("MFA_EMAIL_RETRY_BASE_SECONDS", default=2)
MFA_CODE_CHANNELS = {"email": "mfa.tasks.send_email_code", "sms": "mfa.sms.tasks.send_sms_code"}
# Called with the user by Reset MFA, for factors kept by other apps (passkeys, SMS).
MFA_RESET_HOOKS = ["mfa.passkeys.reset.delete_all_passkeys", "mfa.sms.flows.reset"]
MFA_RECOVERY_CODE_COUNT = env.int("MFA_RECOVERY_CODE_COUNT", default=10)
# The ways to pass the challenge, in the order the picker shows them.
MFA_CHALLENGE_METHODS = [
    "mfa.methods.TotpMethod",
    "mfa.passkeys.challenge.PasskeyMethod",
    "mfa.methods.EmailCodeMethod",
    "mfa.sms.challenge.SmsCodeMethod",
    "mfa.methods.RecoveryCodeMethod",
]
# The authenticator app lists the account as "<issuer>: <username>" (INSW shows NSWid).
OTP_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="SSO Portal")
# The code window stays on the server's clock (±1 step): django-otp's drift following would let
# two codes from a fast phone move it away from true time, locking out a correct phone.
OTP_TOTP_SYNC = False

# django-otp's admin must not show anyone's TOTP secret or QR code (an admin resets MFA, never
# reads a factor); its config view would also answer an unknown id with an error 500.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Called after a correct password with (request, user); returns the URL of the next step (the
# MFA challenge or enrolment) or None to finish the sign-in.
ACCOUNTS_AFTER_PASSWORD_STEP = "mfa.flows.step_after_password"  # noqa: S105 (a dotted path)
# Reads the account's lock, hash and active flag again once a password attempt is reserved
# (accounts.attempts), given (user) and returning it; empty: accounts.lockout.fresh. The MFA
# app's reads what the account has enrolled in the same statement, for the step after it.
ACCOUNTS_PASSWORD_FRESH_READ = "mfa.challenge.factors.fresh_with_factors"  # noqa: S105

# Passkeys (WebAuthn): RP ID = the portal's domain; origins = exact https origins (empty:
# https://<RP ID>, plus the request's own origin when the RP ID is localhost).
MFA_PASSKEYS_RP_ID = env.str("MFA_PASSKEYS_RP_ID", default="localhost")
MFA_PASSKEYS_RP_NAME = env.str("MFA_PASSKEYS_RP_NAME", default="")  # empty: SSO_SITE_NAME
MFA_PASSKEYS_ORIGINS = env.list("MFA_PASSKEYS_ORIGINS", default=[])
MFA_PASSKEYS_CHALLENGE_SECONDS = env.int("MFA_PASSKEYS_CHALLENGE_SECONDS", default=300)
MFA_PASSKEYS_MAX_BODY_BYTES = env.int("MFA_PASSKEYS_MAX_BODY_BYTES", default=65536)

# SMS codes (seeds/001): gateway by dotted path (console, file, http, gammu), number rules,
# pumping limits and delivery retries. mfa/sms/conf.py documents each one.
SMS_GATEWAY = env.str("SMS_GATEWAY", default="mfa.sms.gateways.console.ConsoleGateway")
SMS_DEFAULT_REGION = env.str("SMS_DEFAULT_REGION", default="ID")
SMS_ALLOWED_REGIONS = env.list("SMS_ALLOWED_REGIONS", default=["ID"])
SMS_LIMIT_WINDOW_SECONDS = env.int("SMS_LIMIT_WINDOW_SECONDS", default=3600)
SMS_LIMIT_PER_NUMBER = env.int("SMS_LIMIT_PER_NUMBER", default=5)
SMS_LIMIT_PER_ACCOUNT = env.int("SMS_LIMIT_PER_ACCOUNT", default=8)
SMS_LIMIT_PER_IP = env.int("SMS_LIMIT_PER_IP", default=20)
SMS_RETRY_BASE_SECONDS = env.int("SMS_RETRY_BASE_SECONDS", default=5)
SMS_RETRY_MAX_SECONDS = env.int("SMS_RETRY_MAX_SECONDS", default=120)
SMS_MAX_RETRIES = env.int("SMS_MAX_RETRIES", default=4)
SMS_FILE_DIR = env.str("SMS_FILE_DIR", default="var/sms")
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_METHOD = env.str("SMS_HTTP_METHOD", default="POST")
SMS_HTTP_HEADERS = env.json("SMS_HTTP_HEADERS", default={})
SMS_HTTP_BODY = env.json("SMS_HTTP_BODY", default={"to": "{to}", "message": "{message}"})
SMS_HTTP_BODY_FORMAT = env.str("SMS_HTTP_BODY_FORMAT", default="json")
SMS_HTTP_SUCCESS_STATUSES = env.list("SMS_HTTP_SUCCESS_STATUSES", cast=int, default=[])
SMS_HTTP_SUCCESS_FIELD = env.str("SMS_HTTP_SUCCESS_FIELD", default="")
SMS_HTTP_SUCCESS_VALUE = env.str("SMS_HTTP_SUCCESS_VALUE", default="")
SMS_HTTP_CONNECT_TIMEOUT = env.float("SMS_HTTP_CONNECT_TIMEOUT", default=5.0)
SMS_HTTP_READ_TIMEOUT = env.float("SMS_HTTP_READ_TIMEOUT", default=15.0)
SMS_GAMMU_INJECT = env.str("SMS_GAMMU_INJECT", default="gammu-smsd-inject")
SMS_GAMMU_SMSDRC = env.str("SMS_GAMMU_SMSDRC", default="/etc/gammu-smsdrc")
SMS_GAMMU_TIMEOUT = env.float("SMS_GAMMU_TIMEOUT", default=30.0)

# --- Sessions, cookies and transport security ------------------------------------------------
# SECURE_HTTPS: the portal is served over HTTPS (default: on unless DEBUG). It turns on Secure
# and __Host- cookies, the HTTPS redirect and HSTS.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=not DEBUG)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
# SESSION_ENGINE: where sessions live. With Redis (REDIS_URL): "sso.sessions", read from Redis,
# and a signed-in session also kept as a database row, so that signed-in pages keep working
# while Redis is out of reach (sso/sessions.py). Without Redis: rows in the database.
SESSION_ENGINE = env.str(
    "SESSION_ENGINE",
    default="sso.sessions" if REDIS_URL else "django.contrib.sessions.backends.db",
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
if SECURE_HTTPS:
    # The __Host- prefix pins the cookie to this host, Secure and Path=/ (RFC 6265bis).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (docker-compose, Kubernetes).
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A strict policy: everything from this origin, nothing inline, no framing (design.md).
SSO_CONTENT_SECURITY_POLICY = env.str(
    "SSO_CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
)
# Client IPs: REMOTE_ADDR unless the request came through one of these proxies, whose
# X-Forwarded-For is then read. Never trusted otherwise.
SSO_TRUSTED_PROXIES = env.list("SSO_TRUSTED_PROXIES", default=[])
# Input handling (sso/request_input.py): the longest form field or query parameter accepted,
# in characters, and the paths of protocols that answer bad parameters with their own errors.
SSO_MAX_FIELD_CHARS = env.int("SSO_MAX_FIELD_CHARS", default=65536)
SSO_MAX_QUERY_CHARS = env.int("SSO_MAX_QUERY_CHARS", default=8192)
SSO_PROTOCOL_PATH_PREFIXES = env.list(
    "SSO_PROTOCOL_PATH_PREFIXES", default=["/o/", "/saml/", "/scim/"]
)

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("id", _("Bahasa Indonesia"))]
# The portal's catalogue first; then its Indonesian for strings of Django and the libraries
# (locale/README.md), which makemessages leaves alone.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "libraries"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Jakarta")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Mail -------------------------------------------------------------------------------------
# EMAIL_URL: e.g. smtp://user:pass@host:587 or smtp+tls://...; default prints mail to the console.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SSO Portal <no-reply@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Portal -----------------------------------------------------------------------------------
# The name shown in page titles and mails.
SSO_SITE_NAME = env.str("SSO_SITE_NAME", default="SSO Portal")
# The address people open (scheme, host, optional port and path): absolute links in mails and
# the domain of their Message-ID (sso/mail.py). `make run` serves http://localhost:8000;
# production sets its https address (`check --deploy` warns otherwise).
SSO_BASE_URL = env.str("SSO_BASE_URL", default="http://localhost:8000")

# --- Provisioning over SCIM 2.0 (/scim/v2/, django-scim2 + scim2-models) ----------------------
# Largest request body accepted (RFC 7644 §3.12: larger is 413), in bytes.
PROVISIONING_MAX_BODY_BYTES = env.int("PROVISIONING_MAX_BODY_BYTES", default=1024 * 1024)
# Most resources in one list or filter answer (the ServiceProviderConfig's filter.maxResults).
PROVISIONING_MAX_RESULTS = env.int("PROVISIONING_MAX_RESULTS", default=200)
# Longest filter, in characters, and deepest nesting of parentheses and brackets.
PROVISIONING_MAX_FILTER_LENGTH = env.int("PROVISIONING_MAX_FILTER_LENGTH", default=1000)
PROVISIONING_MAX_FILTER_DEPTH = env.int("PROVISIONING_MAX_FILTER_DEPTH", default=5)
# Mail every account created over SCIM an invitation to set a password (policy for all clients;
# a client can also ask for it with its own "invite new users" flag in admin).
PROVISIONING_INVITE_NEW_USERS = env.bool("PROVISIONING_INVITE_NEW_USERS", default=False)
# Days a new provisioning token lives (0: until it is replaced); admin can change each one.
PROVISIONING_TOKEN_DAYS = env.int("PROVISIONING_TOKEN_DAYS", default=365)
# Where the ServiceProviderConfig points a client for help (empty: nowhere).
PROVISIONING_DOCUMENTATION_URI = env.str("PROVISIONING_DOCUMENTATION_URI", default="")
# django-scim2's own settings object: the portal's adapters, filters and views on the library.
SCIM_SERVICE_PROVIDER = {
    "USER_ADAPTER": "accounts.provisioning.adapters.UserAdapter",
    "GROUP_ADAPTER": "accounts.provisioning.adapters.GroupAdapter",
    "USER_FILTER_PARSER": "accounts.provisioning.filters.UserFilterQuery",
    "GROUP_FILTER_PARSER": "accounts.provisioning.filters.GroupFilterQuery",
    "SERVICE_PROVIDER_CONFIG_MODEL": (
        "accounts.provisioning.discovery.ServiceProviderConfigDocument"
    ),
    "BASE_LOCATION_GETTER": "accounts.provisioning.adapters.base_location",
    "SCHEMAS_GETTER": "accounts.provisioning.discovery.schemas_getter",
    "AUTH_CHECK_MIDDLEWARE": "accounts.provisioning.gate.ScimGate",
    "NETLOC": "localhost",  # unused: BASE_LOCATION_GETTER reads the request
    "AUTHENTICATION_SCHEMES": [{"type": "oauthbearertoken", "name": "Bearer token"}],
}

# --- OpenID Connect provider (django-oauth-toolkit) ------------------------------------------
from sso.oidc.provider_settings import *  # noqa: E402,F403

# --- SAML 2.0 identity provider (pysaml2) -----------------------------------------------------
from sso.saml.provider_settings import *  # noqa: E402,F403

# --- Logging: no secrets, no stack traces to the page ------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A client's mistake (a 4xx, or Django's record of a SuspiciousOperation it answered with
    # 400) is one line: no traceback (sso/request_input.py, docs/security.md).
    "filters": {"client_errors": {"()": "sso.request_input.NoTracebackForClientErrors"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.security.DisallowedHost": {"level": "ERROR"},
        # pysaml2's schema library tells at INFO each schema it loads.
        "xmlschema": {"level": "WARNING"},
    },
}
