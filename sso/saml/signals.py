"""When the portal session ends, so do the SAML sessions it opened (Single Logout)."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.signals import account_deactivated
from sso.oidc.flows import SID_SESSION_KEY
from sso.saml.models import SamlSession
from sso.saml.names import QUEUE_ATTRIBUTE


@receiver(user_logged_out, dispatch_uid="sso.saml.end_portal_session")
def end_saml_sessions(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """Marks the session's SAML sessions ended and leaves on the request the ones whose
    service providers the browser must still tell (sso.saml.middleware leads it there)."""
    if request is None or user is None or not hasattr(request, "session"):
        return
    sid = request.session.get(SID_SESSION_KEY)
    if not sid:
        return
    from sso.saml import logout  # pysaml2 is loaded by the first sign-out, not at start

    setattr(request, QUEUE_ATTRIBUTE, logout.end_saml_sessions(request, user, sid))


@receiver(account_deactivated, dispatch_uid="sso.saml.account_deactivated")
def end_saml_sessions_of_deactivated(sender, user, **kwargs) -> None:
    """A deactivated account's SAML sessions end on the portal's side at once (no browser is
    there to carry front-channel logouts; the apps' own sessions live until they expire)."""
    sids = set(
        SamlSession.objects.filter(user=user, ended__isnull=True).values_list("sid", flat=True)
    )
    if not sids:
        return
    from sso.saml import logout

    for sid in sids:
        logout.end_saml_sessions(None, user, sid)


def _connect_csp_invalidation() -> None:
    from django.db.models.signals import post_delete, post_save

    from sso.oidc.csp import forget_relying_app_origins
    from sso.saml.models import ServiceProvider

    for signal in (post_save, post_delete):
        signal.connect(
            forget_relying_app_origins, sender=ServiceProvider, dispatch_uid=f"saml-csp-{signal}"
        )


_connect_csp_invalidation()
