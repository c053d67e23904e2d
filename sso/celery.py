"""The Celery application. Configuration comes from Django settings prefixed ``CELERY_``.

Without ``REDIS_URL`` tasks run inline (``CELERY_TASK_ALWAYS_EAGER``), so ``make run`` needs no
broker; with it, ``celery -A sso worker`` delivers mail and SMS in the background.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sso.settings")

app = Celery("sso")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
