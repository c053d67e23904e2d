"""Server-side WebAuthn challenges: issued per purpose, answered once, within their life.

The session only remembers which row belongs to it; the row holds the challenge. Consuming
deletes the row under a lock, so a replayed or raced answer finds nothing (WebAuthn L3 §13.4.3).
"""

from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from webauthn.helpers import generate_challenge

from mfa.passkeys import conf
from mfa.passkeys.errors import CHALLENGE_EXPIRED, NO_CHALLENGE, PasskeyError
from mfa.passkeys.models import Challenge

SESSION_KEY = "passkeys.challenges"


def issue(
    request: HttpRequest, purpose: str, user: object | None = None, *, usernameless: bool = False
) -> bytes:
    """A fresh challenge for ``purpose``; the previous one of this session for it dies."""
    now = timezone.now()
    Challenge.objects.filter(expires_at__lte=now).delete()
    open_ids = dict(request.session.get(SESSION_KEY, {}))
    if purpose in open_ids:
        Challenge.objects.filter(pk=open_ids[purpose]).delete()
    challenge = generate_challenge()
    row = Challenge.objects.create(
        challenge=challenge,
        purpose=purpose,
        user=user,
        usernameless=usernameless,
        expires_at=now + timedelta(seconds=conf.challenge_seconds()),
    )
    open_ids[purpose] = row.pk
    request.session[SESSION_KEY] = open_ids
    return challenge


def consume(request: HttpRequest, purpose: str) -> Challenge:
    """Takes this session's open challenge for ``purpose`` out of play and returns it.

    Raises PasskeyError when there is none (never issued, already answered) or it expired.
    """
    open_ids = dict(request.session.get(SESSION_KEY, {}))
    pk = open_ids.pop(purpose, None)
    request.session[SESSION_KEY] = open_ids
    if pk is None:
        raise PasskeyError(NO_CHALLENGE)
    with transaction.atomic():
        row = Challenge.objects.select_for_update().filter(pk=pk, purpose=purpose).first()
        if row is None:
            raise PasskeyError(NO_CHALLENGE)
        row.delete()
    if row.expires_at <= timezone.now():
        raise PasskeyError(CHALLENGE_EXPIRED)
    return row
