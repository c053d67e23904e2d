"""Settings for the test run: the real settings module with a test environment's defaults.

The database comes from DATABASE_URL as in production (PostgreSQL in CI, SQLite otherwise).
Tasks run inline unless a test starts a real Celery worker (tests/conftest.py).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)
os.environ.setdefault("SECURE_HTTPS", "false")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

from sso.settings import *  # noqa: F403
from sso.settings import REDIS_URL
from tests.redis_databases import cache_redis_url

if REDIS_URL:
    # Tests clear the cache between cases; keep that away from the broker's database
    # (TEST_CACHE_REDIS_DB: tests/redis_databases.py).
    CACHES["default"]["LOCATION"] = cache_redis_url(REDIS_URL)  # noqa: F405

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not memory, so that a real Celery worker process can open the test database.
    # One per pytest process: parallel runs never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
    (BASE_DIR / "var").mkdir(exist_ok=True)  # noqa: F405

if not os.environ.get("EMAIL_URL"):  # a worker process under test is given a real SMTP server
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
