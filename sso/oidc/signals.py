"""When the portal session ends, so do the relying apps' sessions that came from it."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from sso.oidc import flows


@receiver(user_logged_out, dispatch_uid="sso.oidc.end_portal_session")
def end_relying_app_sessions(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """Portal sign-out, RP-initiated logout or another account's fresh sign-in: revoke the session's
    refresh tokens and send back-channel logout tokens (after commit, by Celery)."""
    if request is None or user is None or not hasattr(request, "session"):
        return
    sid = request.session.get(flows.SID_SESSION_KEY)
    if sid:
        flows.sign_out_of_apps(user, sid)


def _connect_csp_invalidation() -> None:
    from django.db.models.signals import post_delete, post_save

    from sso.oidc.csp import forget_relying_app_origins
    from sso.oidc.models import Application

    for signal in (post_save, post_delete):
        signal.connect(forget_relying_app_origins, sender=Application, dispatch_uid=f"csp-{signal}")


_connect_csp_invalidation()
