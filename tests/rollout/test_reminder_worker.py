"""A reminder mail end to end: the daily task queues it, a real Celery worker on Redis sends it
to a real SMTP server (aiosmtpd); a refused address is recorded, not retried."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from mfa.rollout.models import GroupPolicy, Level, Reminder
from mfa.rollout.tasks import send_due_reminders
from tests.reliability.conftest import free_port


class RefusingInbox:
    """An SMTP handler that refuses one address (a bounce at delivery) and keeps the rest."""

    def __init__(self, inbox, refused: str) -> None:
        self.inbox, self.refused = inbox, refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refused:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return await self.inbox.handle_DATA(server, session, envelope)


def _wait_for_reminder(user, kind, timeout: float = 30.0) -> Reminder | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = Reminder.objects.filter(user=user, kind=kind).first()
        if found is not None:
            return found
        time.sleep(0.3)
    return None


@pytest.mark.redis
def test_reminder_reaches_a_real_smtp_server_through_a_worker(
    make_user, smtp_server, celery_worker_process
):
    from aiosmtpd.controller import Controller

    inbox, _ = smtp_server
    finance = Group.objects.create(name="Finance")
    GroupPolicy.objects.create(
        group=finance,
        level=Level.REQUIRED,
        deadline=timezone.now() + timedelta(days=10) - timedelta(minutes=30),
    )
    ani, budi = make_user("ani"), make_user("budi", email="nobody@example.com")
    ani.groups.add(finance)
    budi.groups.add(finance)
    # A second SMTP server in front of the inbox that refuses budi's address.
    # On a free port of its own: the port next to the inbox's may be any client's.
    refusing = Controller(RefusingInbox(inbox, "nobody@example.com"), hostname="127.0.0.1",
                          port=free_port())  # fmt: skip
    refusing.start()
    try:
        celery_worker_process({"EMAIL_URL": f"smtp://127.0.0.1:{refusing.port}"})
        assert send_due_reminders() == 2
        [message] = inbox.wait_for(1)
        assert message["To"] == "ani@example.com"
        text = message.get_body(("plain",)).get_content()
        assert "10 days left" in text
        assert "http://localhost:8000/security/setup/" in text
        assert _wait_for_reminder(ani, Reminder.Kind.MAILED) is not None
        failed = _wait_for_reminder(budi, Reminder.Kind.MAIL_FAILED)
        assert failed is not None and "550" in failed.detail
        # The next day nobody is mailed again: one a week, failed or not.
        assert send_due_reminders() == 0
    finally:
        refusing.stop()
