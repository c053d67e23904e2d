"""Settings both peer projects share: production-like, served as ``bench.run`` serves the portal.

Imported by the peers' settings inside their own virtualenvs (``PYTHONPATH`` holds the
repository), so it uses Django and the standard library only. ``bench.peers.run`` passes the
environment: the database, the Redis URL, a random SECRET_KEY and the portal's Argon2id
parameters, so that all three hash with the same cost.
"""

import os
from urllib.parse import unquote, urlsplit

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Django's Argon2id hasher at the parameters the bench passes (the portal's defaults)."""

    time_cost = int(os.environ.get("BENCH_ARGON2_TIME_COST", "2"))
    memory_cost = int(os.environ.get("BENCH_ARGON2_MEMORY_KIB", "19456"))
    parallelism = int(os.environ.get("BENCH_ARGON2_PARALLELISM", "1"))


def database(url: str) -> dict:
    """DATABASES["default"] from a postgres:// URL, with the portal's connection reuse."""
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": parts.port or "",
        # As sso/settings.py: persistent connections, checked at the start of a request.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASES = {"default": database(os.environ["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
PASSWORD_HASHERS = ["bench.peers.common.Argon2idHasher"]
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
STATIC_URL = "/static/"
LOGIN_REDIRECT_URL = "/"
BASE_INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
# Django's default project middleware (startproject).
BASE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
