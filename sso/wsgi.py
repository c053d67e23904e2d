"""WSGI entry point (gunicorn sso.wsgi)."""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sso.settings")

application = get_wsgi_application()

# Serving with the public development key would let anyone forge sessions and tokens.
if not settings.DEBUG and settings.SECRET_KEY == settings.DEV_SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY: the development key is only for DEBUG.")
