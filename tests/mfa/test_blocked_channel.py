"""What a person reads when a code channel is blocked: until when, and what else they can do
(another method, a recovery code, or whom to ask), in English and Bahasa Indonesia."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mfa.models import RecoveryCode
from tests.mfa.conftest import pick, run_on_commit, to_challenge, to_code_page

START = "2026-11-21 09:00:00+07:00"


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def use_up_the_sends(client, clock):
    for _ in range(3):
        clock.move_to(timezone.now() + timedelta(seconds=31), tick=False)
        last = run_on_commit(client.post, "/security/challenge/email/resend/", follow=True)
    return last


def test_only_email_is_told_whom_to_ask(client, user, password, email_factor, clock):
    to_code_page(client, password)
    page = use_up_the_sends(client, clock).text
    assert "Too many codes were sent. From 9:16 a.m. you can ask for a new one." in page
    assert "contact your administrator or helpdesk" in page
    assert "choose another method" not in page
    assert 'class="link-button" disabled' in page
    picker = client.get("/security/challenge/").text
    assert "Unavailable until 9:16 a.m.: too many codes were sent." in picker
    # Asking anyway (an old page, another tab) is refused with the same advice.
    again = pick(client, "email").text
    assert "Too many codes were sent. You can ask for a new one in 15 minutes." in again
    assert "contact your administrator or helpdesk" in again
    assert 'disabled aria-describedby="blocked-email"' in picker


def test_recovery_codes_are_offered(client, user, password, email_factor, clock):
    RecoveryCode.objects.create(user=user, code_hash="x" * 64)
    to_code_page(client, password)
    page = use_up_the_sends(client, clock).text
    assert "Or use one of your recovery codes." in page


def test_another_method_is_offered_in_indonesian(
    client, user, password, email_factor, phone, clock
):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "id"
    to_challenge(client, password)
    pick(client, "email")
    page = use_up_the_sends(client, clock).text
    assert "Terlalu banyak kode yang dikirim." in page
    assert "Atau pilih metode lain." in page
