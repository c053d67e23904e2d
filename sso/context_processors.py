"""Template context every page needs."""

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, str]:
    """The portal's display name, for titles and the header."""
    return {"site_name": settings.SSO_SITE_NAME}
