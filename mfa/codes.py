"""One-time codes sent by a message (e-mail, SMS): the rules of design.md's Factors table.

- 6 digits, valid ``MFA_CODE_TTL_SECONDS``, single use, stored only as an HMAC;
- a resend after ``MFA_CODE_RESEND_SECONDS`` kills the previous code (seeds/003 Table 2);
- at most ``MFA_CODE_MAX_SENDS`` sends per window per account, channel and purpose, then that
  channel is blocked for that purpose for ``MFA_CODE_BLOCK_SECONDS``: confirming a new address
  (Security Settings) and signing in have separate budgets, so mistyped addresses during a
  first setup never block sign-in codes, nor the reverse; an admin's Reset MFA or Unlock
  clears both (``clear_send_limits``);
- at most ``MFA_CODE_MAX_FAILURES`` wrong tries per challenge; a resend does not reset them;
- bound to the attempt that asked for it (seeds/001): another attempt or user never matches.

The web request only records that a code is wanted; the Celery task makes the code, stores its
hash and sends it (``issue_code``), so the plain code never passes through the broker.
"""

import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string

from accounts import counters
from accounts.language import mail_language
from accounts.models import User
from mfa.models import CodeChallenge

CODE_DIGITS = 6
SENDS_KEY = "mfa:code-sends:{}:{}:{}"  # user id, channel, purpose
BLOCK_KEY = "mfa:code-block:{}:{}:{}"

# Results of asking for a code.
SENT = "sent"
COOLDOWN = "cooldown"
BLOCKED = "blocked"

# Results of checking a code.
OK = "ok"
WRONG = "wrong"
EXPIRED = "expired"
NO_CODE = "no_code"
TOO_MANY = "too_many"


@dataclass(frozen=True)
class SendResult:
    status: str
    wait_seconds: int = 0
    challenge_id: int | None = None


@dataclass(frozen=True)
class CheckResult:
    status: str
    tries_left: int = 0


def hash_code(challenge_id: int, code: str) -> str:
    """HMAC of the code, keyed by SECRET_KEY and salted by the challenge: a leaked row cannot
    be turned back into the code by trying the million candidates."""
    return salted_hmac(f"mfa.code.{challenge_id}", code, algorithm="sha256").hexdigest()


def _channel_task(channel: str):  # type: ignore[no-untyped-def]
    return import_string(settings.MFA_CODE_CHANNELS[channel])


def blocked_for(user_id: int, channel: str, purpose: str) -> int:
    """Seconds (rounded up) left on the send block of this account, channel and purpose; 0 when
    codes may be sent."""
    until = cache.get(BLOCK_KEY.format(user_id, channel, purpose))
    if not until:
        return 0
    return max(0, math.ceil((until - timezone.now()).total_seconds()))


def blocked_until(user_id: int, channel: str, purpose: str) -> datetime | None:
    """The aware datetime the send block of this account, channel and purpose ends; None when
    there is none."""
    until = cache.get(BLOCK_KEY.format(user_id, channel, purpose))
    return until if until and until > timezone.now() else None


def clear_send_limits(user: User) -> None:
    """Forgets the account's sends and send blocks on every channel and purpose (an admin's
    Reset MFA or Unlock: the person starts again with full budgets)."""
    every = [
        (channel, purpose)
        for channel in settings.MFA_CODE_CHANNELS
        for purpose in CodeChallenge.Purpose.values
    ]
    cache.delete_many([BLOCK_KEY.format(user.pk, *pair) for pair in every])
    for pair in every:
        counters.clear(SENDS_KEY.format(user.pk, *pair))


def _count_send(user_id: int, channel: str, purpose: str) -> bool:
    """Counts a send in the window; False (and a block starts) when over the limit.

    Counted by accounts.counters (an atomic count in Redis, or a row updated under its lock in
    the database): parallel sends each get their own count. Django's ``cache.incr`` is a read
    and a write on the database cache, so parallel sends there all read the same count."""
    key = SENDS_KEY.format(user_id, channel, purpose)
    sends = counters.reserve(key, settings.MFA_CODE_SEND_WINDOW_SECONDS)
    if sends <= settings.MFA_CODE_MAX_SENDS:
        # A parallel send may have started a block (and reset the count) since this request
        # checked for one: the block, written before the reset, refuses it.
        return not blocked_for(user_id, channel, purpose)
    until = timezone.now() + timedelta(seconds=settings.MFA_CODE_BLOCK_SECONDS)
    cache.set(
        BLOCK_KEY.format(user_id, channel, purpose), until, timeout=settings.MFA_CODE_BLOCK_SECONDS
    )
    counters.clear(key)  # the block holds the sends now; its end starts a new count
    return False


def request_code(
    user: User, channel: str, destination: str, attempt_id: str, purpose: str
) -> SendResult:
    """Asks for a new code for this attempt; queues its delivery after commit."""
    blocked = blocked_for(user.pk, channel, purpose)
    if blocked:
        return SendResult(BLOCKED, blocked)
    now = timezone.now()
    with transaction.atomic():
        challenge, _ = CodeChallenge.objects.select_for_update().get_or_create(
            user=user,
            attempt_id=attempt_id,
            channel=channel,
            purpose=purpose,
            defaults={"destination": destination},
        )
        if challenge.last_sent_at and challenge.destination == destination:
            ready_at = challenge.last_sent_at + timedelta(seconds=settings.MFA_CODE_RESEND_SECONDS)
            if now < ready_at:
                wait = int((ready_at - now).total_seconds()) + 1
                return SendResult(COOLDOWN, wait, challenge.pk)
        if not _count_send(user.pk, channel, purpose):
            return SendResult(BLOCKED, settings.MFA_CODE_BLOCK_SECONDS, challenge.pk)
        # seeds/003 Table 2: the old code dies the moment a new one is asked for.
        challenge.destination = destination
        challenge.language = mail_language(user)
        challenge.code_hash = ""
        challenge.generation += 1
        challenge.sends += 1
        challenge.used_at = None
        challenge.last_sent_at = now
        challenge.expires_at = now + timedelta(seconds=settings.MFA_CODE_TTL_SECONDS)
        challenge.delivery = CodeChallenge.Delivery.QUEUED
        challenge.save()
        task = _channel_task(channel)
        challenge_id, generation = challenge.pk, challenge.generation
        transaction.on_commit(lambda: task.delay(challenge_id, generation))
    return SendResult(SENT, challenge_id=challenge.pk)


def issue_code(challenge_id: int, generation: int) -> tuple[CodeChallenge, str] | None:
    """Makes the code for one send and stores its hash; None when a newer send superseded it.

    Called by the delivery task, in the worker. A retry of the same send makes a new code and
    replaces the hash: the user only ever holds the code of the message that arrived.
    """
    with transaction.atomic():
        challenge = CodeChallenge.objects.select_for_update().filter(pk=challenge_id).first()
        # A worker that died after sending but before its ack gets the task again: one mail
        # per send, not a second one with a new code.
        if (
            challenge is None
            or challenge.generation != generation
            or challenge.used_at
            or challenge.delivery == CodeChallenge.Delivery.SENT
        ):
            return None
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        now = timezone.now()
        challenge.code_hash = hash_code(challenge.pk, code)
        challenge.expires_at = now + timedelta(seconds=settings.MFA_CODE_TTL_SECONDS)
        challenge.save(update_fields=["code_hash", "expires_at"])
    return challenge, code


def mark_delivery(challenge_id: int, generation: int, status: str) -> None:
    """Records whether the message of this send left (so the page can tell the user)."""
    CodeChallenge.objects.filter(pk=challenge_id, generation=generation).update(delivery=status)


def find_challenge(user: User, attempt_id: str, channel: str, purpose: str) -> CodeChallenge | None:
    return CodeChallenge.objects.filter(
        user=user, attempt_id=attempt_id, channel=channel, purpose=purpose
    ).first()


def countdown(challenge: CodeChallenge | None) -> dict[str, int]:
    """Seconds until the code expires and until a new one may be sent (the page's countdowns)."""
    if challenge is None or challenge.expires_at is None or challenge.last_sent_at is None:
        return {"code_expires_in": 0, "resend_in": 0}
    now = timezone.now()
    ready_at = challenge.last_sent_at + timedelta(seconds=settings.MFA_CODE_RESEND_SECONDS)
    return {
        "code_expires_in": max(0, math.ceil((challenge.expires_at - now).total_seconds())),
        "resend_in": max(0, math.ceil((ready_at - now).total_seconds())),
    }


def check_code(user: User, attempt_id: str, channel: str, purpose: str, code: str) -> CheckResult:
    """Checks a typed code, counting the failure or using the code up in the same transaction."""
    max_failures = settings.MFA_CODE_MAX_FAILURES
    with transaction.atomic():
        challenge = (
            CodeChallenge.objects.select_for_update()
            .filter(user=user, attempt_id=attempt_id, channel=channel, purpose=purpose)
            .first()
        )
        if challenge is None or not challenge.code_hash or challenge.used_at:
            return CheckResult(NO_CODE)
        if challenge.failures >= max_failures:
            return CheckResult(TOO_MANY)
        if challenge.expires_at is None or challenge.expires_at <= timezone.now():
            return CheckResult(EXPIRED)
        if not hmac.compare_digest(challenge.code_hash, hash_code(challenge.pk, code)):
            challenge.failures += 1
            challenge.save(update_fields=["failures"])
            left = max_failures - challenge.failures
            return CheckResult(TOO_MANY if left <= 0 else WRONG, max(left, 0))
        challenge.used_at = timezone.now()
        challenge.save(update_fields=["used_at"])
    return CheckResult(OK)
