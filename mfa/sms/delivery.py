"""Delivering one send's message exactly once, whatever Celery does with the task.

Celery runs the task at least once (``acks_late``: a worker that dies mid-task leaves the
message to be delivered again). The ``SmsDelivery`` row of the send makes that at most once
towards the gateway:

- ``queued``: nobody is handing it over; the worker that flips it to ``sending`` (a
  conditional UPDATE, so only one of two racing workers wins) makes the code and calls the
  gateway;
- ``sending`` found by another run: either a worker is still talking to the gateway (a
  duplicate delivery) or it died there. The gateway may have taken the message, so it is not
  sent again: the row becomes ``unconfirmed`` (a live worker overwrites that with its own
  outcome). The code the first worker made stays valid, so a message that did go out works;
- ``sent``, ``failed``, ``unconfirmed``, ``superseded``: done, nothing to do.

A temporary gateway error puts the row back to ``queued`` and the task retries: the retry
makes a new code (the old message never arrived, or if it arrives late its code is dead).
"""

import logging
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from mfa import codes
from mfa.models import CodeChallenge
from mfa.sms import gateways, phone
from mfa.sms.message import code_text
from mfa.sms.models import SmsDelivery

logger = logging.getLogger(__name__)

ANSWER_LIMIT = SmsDelivery._meta.get_field("provider_answer").max_length or 500
Status = SmsDelivery.Status


@dataclass(frozen=True)
class Outcome:
    status: str
    retry: bool = False


def redact(answer: str, code: str) -> str:
    """The provider's answer for the record: no code (providers echo the text), trimmed."""
    if code:
        answer = answer.replace(code, "[code]")
    answer = " ".join(answer.split())
    return answer if len(answer) <= ANSWER_LIMIT else answer[: ANSWER_LIMIT - 1] + "…"


def _record_for(challenge: CodeChallenge, generation: int) -> SmsDelivery:
    defaults = {
        "user_id": challenge.user_id,
        "purpose": challenge.purpose,
        "to_masked": phone.mask(challenge.destination),
    }
    existing = SmsDelivery.objects.filter(challenge=challenge, generation=generation).first()
    if existing is not None:
        return existing
    # INSERT first (not get_or_create's SELECT then INSERT): a transaction that starts by
    # writing waits for SQLite's lock instead of failing on a read-to-write upgrade.
    try:
        with transaction.atomic():
            record = SmsDelivery.objects.create(
                challenge=challenge, generation=generation, **defaults
            )
    except IntegrityError:  # another run made it between our read and our insert
        record = SmsDelivery.objects.get(challenge=challenge, generation=generation)
    return record


def _claim(record: SmsDelivery, gateway_name: str) -> bool:
    """Flips queued → sending; True for the one run that may call the gateway."""
    claimed = SmsDelivery.objects.filter(pk=record.pk, status=Status.QUEUED).update(
        status=Status.SENDING,
        attempts=record.attempts + 1,
        gateway=gateway_name,
        updated_at=timezone.now(),
    )
    return claimed == 1


def _finish(record: SmsDelivery, status: str, answer: str, provider_status: int | None) -> None:
    fields: dict = {
        "status": status,
        "provider_answer": answer,
        "provider_status": provider_status,
        "updated_at": timezone.now(),
    }
    if status == Status.SENT:
        fields["sent_at"] = timezone.now()
    SmsDelivery.objects.filter(pk=record.pk).update(**fields)


def deliver(challenge_id: int, generation: int, may_retry: bool) -> Outcome:
    """Sends the message of one send (challenge, generation) unless it was handled already.

    ``may_retry``: whether a temporary failure should be retried (the task has retries left);
    ``Outcome.retry`` then asks the caller to retry.
    """
    challenge = CodeChallenge.objects.filter(
        pk=challenge_id, generation=generation, channel=CodeChallenge.Channel.SMS
    ).first()
    if challenge is None or challenge.used_at:
        return Outcome(Status.SUPERSEDED)
    record = _record_for(challenge, generation)
    gateway = gateways.get_gateway()
    gateway_name = type(gateway).__name__
    if not _claim(record, gateway_name):
        interrupted = SmsDelivery.objects.filter(pk=record.pk, status=Status.SENDING).update(
            status=Status.UNCONFIRMED,
            provider_answer="a worker stopped while the gateway had the message; not sent again",
            updated_at=timezone.now(),
        )
        if interrupted:
            logger.warning("SMS delivery %s was interrupted; not sending it again", record.pk)
            return Outcome(Status.UNCONFIRMED)
        return Outcome(SmsDelivery.objects.get(pk=record.pk).status)
    try:
        issued = codes.issue_code(challenge_id, generation)
    except DatabaseError:
        # Nothing reached the gateway: give the send back so the task's retry can take it.
        SmsDelivery.objects.filter(pk=record.pk).update(status=Status.QUEUED)
        raise
    if issued is None:
        _finish(record, Status.SUPERSEDED, "a newer code was asked for first", None)
        return Outcome(Status.SUPERSEDED)
    challenge, code = issued
    message = gateways.SmsMessage(
        to=challenge.destination, text=code_text(challenge, code), reference=record.reference
    )
    try:
        receipt = gateway.send(message)
    except gateways.GatewayError as exc:
        answer = redact(exc.answer, code)
        if exc.retryable and may_retry:
            _finish(record, Status.QUEUED, answer, exc.status)
            return Outcome(Status.QUEUED, retry=True)
        _finish(record, Status.FAILED, answer, exc.status)
        codes.mark_delivery(challenge_id, generation, CodeChallenge.Delivery.FAILED)
        logger.warning("SMS delivery %s failed for good (%s)", record.pk, exc.status)
        return Outcome(Status.FAILED)
    except Exception as exc:  # a gateway bug must not leave the row "sending" for ever
        _finish(record, Status.FAILED, f"gateway error: {type(exc).__name__}", None)
        codes.mark_delivery(challenge_id, generation, CodeChallenge.Delivery.FAILED)
        logger.error("SMS gateway %s raised %s", gateway_name, type(exc).__name__)
        return Outcome(Status.FAILED)
    _finish(record, Status.SENT, redact(receipt.answer, code), receipt.status)
    codes.mark_delivery(challenge_id, generation, CodeChallenge.Delivery.SENT)
    return Outcome(Status.SENT)
