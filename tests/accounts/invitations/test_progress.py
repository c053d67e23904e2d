"""The admin follows the last import's invitations going out: sent / total / failed / waiting
on the Users list, moving as the Celery task sends them (a reload shows it)."""

import io
import re
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client, TestCase

from accounts.invitations.models import Invitation
from accounts.invitations.tasks import send_invitation_mail
from accounts.models import User

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"
FILE = (
    "username,name,email\n"
    "rina,Rina,rina@example.com\n"
    "budi,Budi,bounce@example.com\n"
    "citra,Citra,citra@example.com\n"
)


class RefusingBackend(EmailBackend):
    """The SMTP server refuses bounce@example.com (5xx for the recipient), takes the rest."""

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        for message in messages:
            if "bounce@example.com" in message.to:
                raise smtplib.SMTPRecipientsRefused({"bounce@example.com": (550, b"No such user")})
        return super().send_messages(messages)


class DownBackend(EmailBackend):
    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("SMTP server down")


@pytest.fixture
def admin(make_user) -> Client:
    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def _status(admin: Client) -> str:
    html = admin.get(USERS).content.decode()
    match = re.search(r'<p class="invitation-progress" role="status">(.*?)</p>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) if match else ""


def _import_and_invite(admin: Client) -> None:
    upload = io.BytesIO(FILE.encode())
    upload.name = "people.csv"
    data = {"import_file": upload, "format": "0", "resource": "0", "invite": "on"}
    preview = admin.post("/admin/accounts/user/import/", data).content.decode()
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', preview))
    # The mails are queued after commit; not run here: the test plays the worker, one by one.
    with TestCase.captureOnCommitCallbacks(execute=False):
        done = admin.post("/admin/accounts/user/process_import/", fields, follow=True)
    assert "3 invitations queued" in done.content.decode()


def _worker_sends_to(username: str) -> None:
    send_invitation_mail.delay(Invitation.objects.get(user__username=username).pk, "en")


def test_the_users_list_counts_the_last_imports_invitations_going_out(admin, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    assert _status(admin) == ""  # no import has invited anyone yet
    _import_and_invite(admin)
    assert _status(admin).endswith("0 of 3 sent, 0 failed, 3 waiting. Reload the page to update.")

    _worker_sends_to("rina")
    assert "1 of 3 sent, 0 failed, 2 waiting." in _status(admin)
    _worker_sends_to("budi")  # refused by the server: failed at once, not retried
    assert "1 of 3 sent, 1 failed, 1 waiting." in _status(admin)
    _worker_sends_to("citra")
    status = _status(admin)
    assert "2 of 3 sent, 1 failed, 0 waiting. All have gone out or failed." in status
    assert "Show the failed ones" in status
    assert sorted(m.to[0] for m in mail.outbox) == ["citra@example.com", "rina@example.com"]

    failed = admin.get(USERS + "?invitation=failed").content.decode()
    assert ">budi<" in failed and ">rina<" not in failed and ">citra<" not in failed
    assert "mail failed" in failed
    budi = Invitation.objects.get(user__username="budi")
    assert "550" in budi.failure and budi.sent_at is None


def test_a_mail_that_fails_on_every_retry_counts_as_failed(admin, settings):
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    _import_and_invite(admin)
    _worker_sends_to("rina")  # eager: the retries run at once, then the failure is recorded
    rina = Invitation.objects.get(user__username="rina")
    assert rina.failed_at is not None and "SMTP server down" in rina.failure
    assert "0 of 3 sent, 1 failed, 2 waiting." in _status(admin)


def test_only_the_last_import_is_counted(admin, settings):
    _import_and_invite(admin)
    User.objects.filter(username__in=["rina", "budi", "citra"]).delete()
    _import_and_invite(admin)
    assert "0 of 3 sent, 0 failed, 3 waiting." in _status(admin)


def test_the_status_line_in_indonesian(admin):
    _import_and_invite(admin)
    admin.cookies["django_language"] = "id"
    assert "0 dari 3 terkirim, 0 gagal, 3 menunggu." in _status(admin)
    assert "Muat ulang halaman untuk memperbarui." in _status(admin)
