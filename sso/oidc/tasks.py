"""Celery tasks of the OpenID Connect provider: thin, by primary key, re-reading the row."""

import logging

import requests
from celery import shared_task

from sso.oidc.backchannel import BackchannelLogoutFailed, send_logout_token
from sso.oidc.models import SignInContext

log = logging.getLogger(__name__)

MAX_RETRIES = 5


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def send_backchannel_logout(self, context_id: int) -> None:
    """Posts the logout token for one ended portal session to one relying app.

    Retried with a growing delay while the app is unreachable; run inline (make run), a
    failure is logged once instead, so a sign-out never waits on a dead app for long.
    """
    context = (
        SignInContext.objects.select_related("application")
        .filter(pk=context_id, ended__isnull=False)
        .first()
    )
    if context is None or not context.application.backchannel_logout_uri:
        return
    try:
        send_logout_token(context)
    except (requests.RequestException, BackchannelLogoutFailed) as exc:
        if self.request.is_eager:
            log.warning("back-channel logout to %s failed: %s", context.application.client_id, exc)
            return
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
    log.info("back-channel logout sent to %s", context.application.client_id)
