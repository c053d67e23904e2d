"""The authenticator app: pyotp plays the phone (an implementation that is not ours)."""

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa import totp
from tests.conftest import led_to, prove_account_email, sign_in
from tests.mfa.conftest import run_on_commit

# RFC 6238 Appendix B, SHA-1 rows: (Unix time, 8-digit TOTP). Our factor uses 6 digits, which
# are the last 6 of the same HOTP value (RFC 4226 §5.3, modulo 10^digits).
RFC6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
RFC_KEY_HEX = b"12345678901234567890".hex()


@pytest.mark.parametrize(("unix_time", "expected"), RFC6238_SHA1)
def test_rfc6238_vectors_pass_our_verification_path(user, time_machine, unix_time, expected):
    device = TOTPDevice.objects.create(user=user, key=RFC_KEY_HEX, digits=8, confirmed=True)
    time_machine.move_to(datetime.fromtimestamp(unix_time, tz=UTC), tick=False)
    assert totp.check(device, expected)
    six = TOTPDevice.objects.create(user=user, key=RFC_KEY_HEX, digits=6, confirmed=True)
    assert totp.check(six, expected[-6:])


def _enrol_page_key(client) -> str:
    page = client.get("/security/authenticator/")
    assert page.status_code == 200
    assert "<svg" in page.text
    key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', page.text).group(1)
    return key.replace(" ", "")


def test_enrolment_with_pyotp_as_the_phone(client, user, password, time_machine, mailoutbox):
    time_machine.move_to("2026-11-21 09:00:00+07:00", tick=False)
    sign_in(client, "ani", password)
    prove_account_email(client, "/security/authenticator/")
    key = _enrol_page_key(client)
    device = TOTPDevice.objects.get(user=user)
    uri = urlparse(device.config_url)
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert uri.path == "/SSO%20Portal%3Aani"  # listed in the app as "SSO Portal: ani"
    assert parse_qs(uri.query)["secret"] == [key]
    phone = pyotp.parse_uri(device.config_url)
    assert phone.now() == pyotp.TOTP(key).now()
    assert not device.confirmed
    response = run_on_commit(
        client.post, "/security/authenticator/", {"code": phone.now()}, follow=True
    )
    assert "Your authenticator app is on." in response.text
    assert TOTPDevice.objects.get(user=user).confirmed
    assert "An authenticator app was added" in mailoutbox[-1].body


def test_issuer_comes_from_settings(client, user, password, settings):
    settings.OTP_TOTP_ISSUER = "NSWid"
    sign_in(client, "ani", password)
    client.get("/security/authenticator/")
    label = urlparse(TOTPDevice.objects.get(user=user).config_url).path
    assert label == "/NSWid%3Aani"


def test_factor_is_off_until_a_valid_code(client, user, password):
    sign_in(client, "ani", password)
    prove_account_email(client, "/security/authenticator/")
    _enrol_page_key(client)
    response = client.post("/security/authenticator/", {"code": "000000"})
    assert "That code is not right" in response.text
    assert not TOTPDevice.objects.get(user=user).confirmed
    client.post("/accounts/logout/")
    assert led_to(sign_in(client, "ani", password)) == "/"  # no challenge: nothing enrolled


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-60, False), (-30, True), (30, True), (60, False)]
)
def test_one_step_drift_accepted_two_refused(user, phone, time_machine, offset, accepted):
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    device = TOTPDevice.objects.get(user=user)
    code = phone.at(datetime.now(tz=UTC).timestamp() + offset)
    assert totp.check(device, code) is accepted


def test_an_accepted_code_is_never_accepted_again(user, phone, time_machine):
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    device = TOTPDevice.objects.get(user=user)
    code = phone.now()
    assert totp.check(device, code)
    assert not totp.check(device, code)


def test_the_write_itself_refuses_a_code_accepted_meanwhile(user, phone, time_machine):
    """The accepting UPDATE requires last_t below the code's step: a check working from a row
    read before another accepted the code (no lock) matches the code but is refused, and the
    refusal counts in django-otp's throttle."""
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    stale = TOTPDevice.objects.get(user=user)
    code = phone.now()
    assert totp.check(TOTPDevice.objects.get(user=user), code)
    assert not totp._verify(stale, code)
    row = TOTPDevice.objects.get(user=user)
    assert row.throttling_failure_count == 1
    assert row.last_t == int(datetime.now(tz=UTC).timestamp()) // 30  # the first acceptance's


def test_an_accepted_code_writes_the_guard_and_resets_the_throttle(user, phone, time_machine):
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    device = TOTPDevice.objects.get(user=user)
    assert not totp.check(device, "000000" if phone.now() != "000000" else "111111")
    assert TOTPDevice.objects.get(user=user).throttling_failure_count == 1
    time_machine.move_to("2026-11-21 09:00:12+07:00", tick=False)  # past django-otp's throttle
    assert totp.check(device, phone.now())
    row = TOTPDevice.objects.get(user=user)
    step = int(datetime.now(tz=UTC).timestamp()) // 30
    assert (row.last_t, row.throttling_failure_count, row.throttling_failure_timestamp) == (
        step,
        0,
        None,
    )
    assert row.last_used_at == datetime.now(tz=UTC)
    assert (row.name, row.confirmed, row.key) == (device.name, True, device.key)


def _parallel_attempt_after_the_read(monkeypatch, change) -> None:
    """``change()`` runs once, as another worker's attempt, between check_confirmed's read of
    the device (no lock) and its write."""
    read = totp._device_of
    done = []

    def read_then_change(user, statement):
        device = read(user, statement)
        if not done:
            done.append(True)
            change()
        return device

    monkeypatch.setattr(totp, "_device_of", read_then_change)


def _used_meanwhile(user, phone, time_machine, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    """The current code, accepted by another worker between check_confirmed's read of the
    device and its write (PostgreSQL only: elsewhere the device is read under its lock)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the read without a lock is PostgreSQL's")
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    code = phone.now()
    _parallel_attempt_after_the_read(
        monkeypatch, lambda: totp.check(TOTPDevice.objects.get(user=user), code)
    )
    return code


def test_a_failure_meanwhile_throttles_the_check_as_under_the_lock(
    user, phone, time_machine, monkeypatch, db
):
    """A wrong code from another worker lands between the read and the write: the write sees
    the row changed and the check is made again under the lock, where django-otp's throttle
    (started by that failure) refuses it, counting nothing."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the read without a lock is PostgreSQL's")
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    wrong = "000000" if phone.now() != "000000" else "111111"
    _parallel_attempt_after_the_read(
        monkeypatch, lambda: totp.check(TOTPDevice.objects.get(user=user), wrong)
    )
    with pytest.raises(totp.Throttled):
        totp.check_confirmed(user, phone.now())
    row = TOTPDevice.objects.get(user=user)
    assert (row.throttling_failure_count, row.last_t) == (1, -1)


def test_a_code_used_meanwhile_is_refused_and_counted_once(user, phone, time_machine, monkeypatch):
    """The same code accepted by another worker between the read and the write: this check is
    refused and counts one failure, as the second of two checks one after the other."""

    code = _used_meanwhile(user, phone, time_machine, monkeypatch)
    assert totp.check_confirmed(user, code) is False
    row = TOTPDevice.objects.get(user=user)
    assert row.last_t == int(datetime.now(tz=UTC).timestamp()) // 30  # the other's acceptance
    assert row.throttling_failure_count == 1


def test_removing_asks_for_password_or_current_code(client, user, password, phone, time_machine):
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    client.force_login(user)
    session = client.session
    session["accounts.auth_time"] = int(datetime.now(tz=UTC).timestamp())
    session.save()
    page = client.get("/security/authenticator/")
    assert "Your authenticator app is on." in page.text
    wrong = client.post("/security/authenticator/remove/", {"secret": "not-it"})
    assert "neither your password nor a current code" in wrong.text
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    time_machine.move_to("2026-11-21 09:00:12+07:00", tick=False)  # past django-otp's throttle
    client.post("/security/authenticator/remove/", {"secret": phone.now()})
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_the_lock_is_read_again_with_the_device_in_one_statement(user, phone, time_machine):
    """After the answer is reserved, the account's lock is read again (a lock written since
    the pending user was read counts) together with the authenticator the check then uses:
    one read and the guarded write."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User

    if connection.vendor != "postgresql":
        pytest.skip("one statement on PostgreSQL; elsewhere lockout.fresh and a locked read")
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    pending = User.objects.get(pk=user.pk)  # read before the lock
    locked_until = timezone.now() + timedelta(minutes=15)
    User.objects.filter(pk=user.pk).update(locked_until=locked_until)
    with CaptureQueriesContext(connection) as queries:
        assert totp.fresh_with_device(pending) is pending
        assert pending.locked_until == locked_until
        assert totp.check_confirmed(pending, phone.now()) is True
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements == ["SELECT", "UPDATE"]


def _success_record(user):  # type: ignore[no-untyped-def]
    from accounts import audit
    from accounts.attempts import SuccessRecord

    return SuccessRecord(
        lambda: audit.event(
            None, audit.SIGNIN_SECOND_FACTOR, audit.SUCCESS, user=user, method="totp"
        )
    )


def test_the_success_event_is_written_by_the_statement_that_accepts_the_code(
    user, phone, time_machine
):
    """The attempt's success event goes in the statement of the accepting write, so a right
    code costs one statement (and one commit) for both."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import AuditEvent

    if connection.vendor != "postgresql":
        pytest.skip("one statement on PostgreSQL; elsewhere check_secret records it")
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    success = _success_record(user)
    with CaptureQueriesContext(connection) as queries:
        assert totp.check_confirmed(user, phone.now(), success) is True
    assert success.written
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "WITH"]
    event = AuditEvent.objects.get(user=user)
    assert (event.kind, event.result, event.method) == ("signin.second_factor", "success", "totp")
    assert TOTPDevice.objects.get(user=user).last_t == int(datetime.now(tz=UTC).timestamp()) // 30


def test_a_write_the_guard_refused_writes_no_success_event(user, phone, time_machine, monkeypatch):
    """The code accepted by another worker between the read and the write: the accepting write
    is not made, nor the success event that goes with it; the check under the lock refuses."""

    from accounts.models import AuditEvent

    code = _used_meanwhile(user, phone, time_machine, monkeypatch)
    success = _success_record(user)
    assert totp.check_confirmed(user, code, success) is False
    assert not success.written
    assert not AuditEvent.objects.filter(user=user).exists()


def test_a_right_code_at_sign_in_is_recorded_once_with_the_request(
    client, user, password, phone, time_machine
):
    from accounts.models import AuditEvent

    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    client.post("/accounts/login/password/", {"username": "ani", "password": password})
    agent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    page = client.post("/security/challenge/totp/", {"code": phone.now()}, HTTP_USER_AGENT=agent)
    assert page.status_code == 200
    (event,) = AuditEvent.objects.filter(kind="signin.second_factor")
    assert (event.result, event.method, event.user_id) == ("success", "totp", user.pk)
    assert (event.ip, event.user_agent) == ("127.0.0.1", agent)
    assert "Firefox" in event.device
