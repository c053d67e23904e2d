"""The relying applications a user can open from Home (seeds/000's Home SSO)."""

from sso.oidc.models import Application


def applications_for(user) -> list[dict]:
    """Listed applications with a home page, by name: ``name``, ``url`` and ``logo_url``.

    Every signed-in user may open every listed application; the app itself decides what the
    user may do there.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    apps = Application.objects.filter(is_listed=True).exclude(launch_url="").order_by("name")
    return [
        {"name": app.name or app.client_id, "url": app.launch_url, "logo_url": app.logo_url}
        for app in apps
    ]
