"""Celery tasks of the SMS factor: thin, they take ids and call mfa.sms.delivery."""

from celery import shared_task
from django.db import DatabaseError

from mfa.sms import conf, delivery


def retry_delay(retries: int) -> int:
    """Exponential backoff: base, 2 * base, 4 * base, ... capped at SMS_RETRY_MAX_SECONDS."""
    base = int(conf.get("SMS_RETRY_BASE_SECONDS"))
    return min(base * 2**retries, int(conf.get("SMS_RETRY_MAX_SECONDS")))


# acks_late + reject_on_worker_lost: a worker that dies mid-task leaves the message to be
# delivered again; mfa.sms.delivery makes sure the gateway still gets it at most once.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def send_sms_code(self, challenge_id: int, generation: int) -> str:  # type: ignore[no-untyped-def]
    """Makes the code of one send (in the worker, never through the broker) and texts it;
    retried with backoff on timeouts and 5xx, never on a 4xx. Returns the delivery status."""
    max_retries = int(conf.get("SMS_MAX_RETRIES"))
    may_retry = self.request.retries < max_retries
    try:
        outcome = delivery.deliver(challenge_id, generation, may_retry=may_retry)
    except DatabaseError as exc:  # e.g. a locked or restarting database: try again later
        if not may_retry:
            raise
        countdown = retry_delay(self.request.retries)
        raise self.retry(exc=exc, countdown=countdown, max_retries=max_retries) from exc
    if outcome.retry:
        raise self.retry(countdown=retry_delay(self.request.retries), max_retries=max_retries)
    return outcome.status
