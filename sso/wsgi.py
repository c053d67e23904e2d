"""WSGI entry point (gunicorn sso.wsgi)."""

import gc
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sso.settings")

application = get_wsgi_application()

# What the worker imported lives as long as it does: kept out of the cyclic collector's sight
# (Python's gc.freeze), a full collection no longer walks all of it (0.98 → 0.39 ms of
# collection per sign-in measured, docs/performance.md "Ninth run"). The garbage of the imports
# is collected first, or it would be kept for good.
gc.collect()
gc.freeze()

# Serving with the public development key would let anyone forge sessions and tokens.
if not settings.DEBUG and settings.SECRET_KEY == settings.DEV_SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY: the development key is only for DEBUG.")
