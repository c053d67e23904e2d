"""django-oauth-toolkit settings (OAUTH2_PROVIDER), imported by sso/settings.py."""

OAUTH2_PROVIDER: dict = {}
