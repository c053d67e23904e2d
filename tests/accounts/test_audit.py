"""Audit trail, sessions, new-device alerts, helpdesk and the security question (issue 7).

Events are produced by driving the real pages, never by calling the event function.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEvent, User
from mfa.models import TrustedDevice
from tests.conftest import led_to, sign_in
from tests.mfa.conftest import confirm, pick, run_on_commit, to_challenge, validate

UA = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36"
)


def kinds(user=None) -> list[tuple[str, str]]:
    events = AuditEvent.objects.order_by("created_at", "pk")
    if user is not None:
        events = events.filter(user=user)
    return list(events.values_list("kind", "result"))


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    return time_machine


def test_sign_in_steps_are_recorded_with_ip_device_and_method(user, password, phone, clock):
    client = Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="203.0.113.9")
    sign_in(client, "ani", "wrong-password-123")
    to_challenge(client, password)
    pick(client, "totp")
    validate(client, "totp", "000000" if phone.now() != "000000" else "111111")
    clock.move_to("2026-11-21 09:00:13+07:00", tick=False)  # past django-otp's throttle
    validate(client, "totp", phone.now())
    confirm(client)
    client.post("/accounts/logout/")
    assert kinds(user) == [
        (audit.SIGNIN_PASSWORD, "failure"),
        (audit.SIGNIN_PASSWORD, "success"),
        (audit.SIGNIN_SECOND_FACTOR, "failure"),
        (audit.SIGNIN_SECOND_FACTOR, "success"),
        (audit.SIGNIN_COMPLETE, "success"),
        (audit.TRUSTED_DEVICE_ADDED, "success"),
        (audit.SIGNOUT, "success"),
    ]
    event = AuditEvent.objects.get(kind=audit.SIGNIN_SECOND_FACTOR, result="success")
    assert event.ip == "203.0.113.9"
    assert event.device == "Pixel 7 / Android 13 / Chrome 120.0"
    assert event.method == "totp"
    assert AuditEvent.objects.get(kind=audit.SIGNIN_COMPLETE).method == "otp,pwd"


def test_unknown_username_failures_keep_what_was_typed(client, db):
    sign_in(client, "ghost", "whatever-password")
    event = AuditEvent.objects.get()
    assert (event.kind, event.result, event.user, event.username) == (
        audit.SIGNIN_PASSWORD, "failure", None, "ghost",
    )  # fmt: skip


def test_factor_trust_and_password_changes_are_recorded(client, user, password, phone, clock):
    client.force_login(user)
    session = client.session
    session["accounts.auth_time"] = int(timezone.now().timestamp())
    session.save()
    run_on_commit(client.post, "/security/recovery/")
    TrustedDevice.objects.create(user=user, token_hash="x" * 64, expires_at=timezone.now())
    client.post("/security/devices/revoke-all/")
    client.post(
        "/accounts/password/change/",
        {"old_password": password, "new_password1": "a new long passphrase",
         "new_password2": "a new long passphrase"},
    )  # fmt: skip
    recorded = kinds(user)
    assert (audit.FACTOR_CHANGED, "success") in recorded
    assert (audit.TRUSTED_DEVICE_REVOKED, "success") in recorded
    assert (audit.PASSWORD_CHANGED, "success") in recorded
    changes = AuditEvent.objects.filter(kind=audit.FACTOR_CHANGED).values_list("details", flat=True)
    assert {"change": "recovery_generated"} in list(changes)


def test_events_are_append_only(user, client, password):
    sign_in(client, "ani", password)
    event = AuditEvent.objects.first()
    event.result = "failure"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    root = User.objects.create_superuser("root", "root@example.com", "root-password-long")
    admin = Client()
    admin.force_login(root)
    assert admin.get(f"/admin/accounts/auditevent/{event.pk}/delete/").status_code == 403
    page = admin.get(f"/admin/accounts/auditevent/{event.pk}/change/")
    assert (
        page.status_code == 200 and 'type="submit"' not in page.text.split('id="content-main"')[1]
    )


def test_retention_prunes_old_events(user, client, password, settings, time_machine):
    time_machine.move_to("2025-01-01 10:00:00+07:00", tick=False)
    sign_in(client, "ani", password)
    time_machine.move_to("2026-11-21 10:00:00+07:00", tick=False)
    client.post("/accounts/logout/")
    sign_in(client, "ani", password)
    assert audit.prune() == 2  # the old password and sign-in events
    assert AuditEvent.objects.filter(created_at__year=2025).count() == 0
    assert AuditEvent.objects.count() >= 2


@override_settings(SSO_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_forwarded_for_is_used_only_from_a_trusted_proxy(db):
    sign_in(Client(REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="1.2.3.4"), "a", "pw-123456789")
    sign_in(
        Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.7"),
        "b",
        "pw-123456789",
    )
    ips = dict(AuditEvent.objects.values_list("username", "ip"))
    assert ips == {"a": "198.51.100.4", "b": "1.2.3.4"}


def test_recent_activity_and_sign_out_another_session(user, password, clock):
    phone_browser = Client(HTTP_USER_AGENT=UA)
    laptop = Client()
    sign_in(phone_browser, "ani", password)
    sign_in(laptop, "ani", password)
    activity = laptop.get("/accounts/activity/")
    assert "Recent activity" in activity.text and "Chrome on Android" in activity.text
    page = laptop.get("/accounts/sessions/")
    assert "Chrome on Android" in page.text and "(this session)" in page.text
    other = user.sessions.exclude(session_key=laptop.session.session_key).get()
    laptop.post(f"/accounts/sessions/{other.pk}/sign-out/")
    assert phone_browser.get("/").status_code == 302  # that session is signed out
    assert laptop.get("/").status_code == 200
    assert (audit.SESSION_ENDED, "success") in kinds(user)


def test_sign_out_all_others(user, password):
    browsers = [Client() for _ in range(3)]
    for browser in browsers:
        sign_in(browser, "ani", password)
    browsers[0].post("/accounts/sessions/sign-out-others/")
    assert [b.get("/").status_code for b in browsers] == [200, 302, 302]


def test_new_device_mail_once_for_a_new_device_not_for_a_known_one(user, password):
    first, second = Client(), Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="203.0.113.5")
    run_on_commit(sign_in, first, "ani", password)
    assert mail.outbox == []  # the account's first browser: nothing to compare with
    run_on_commit(sign_in, second, "ani", password)
    assert len(mail.outbox) == 1
    alert = mail.outbox[0]
    assert "device it has not used before" in alert.body
    assert "Pixel 7 / Android 13" in alert.body and "203.0.113.5" in alert.body
    assert "/security/" in alert.body
    second.post("/accounts/logout/")
    run_on_commit(sign_in, second, "ani", password)
    first.post("/accounts/logout/")
    run_on_commit(sign_in, first, "ani", password)
    assert len(mail.outbox) == 1


def test_new_device_mail_for_a_browser_another_account_used_first(make_user, user, password):
    """A shared computer: the browser has its device cookie from Ani's sign-in, but Budi has
    not used it; Budi, who signed in elsewhere before, gets the alert; Ani does not."""
    budi = make_user("budi", email="budi@example.com")
    shared, budis_phone = Client(), Client()
    run_on_commit(sign_in, shared, "ani", password)
    run_on_commit(sign_in, budis_phone, "budi", password)
    shared.post("/accounts/logout/")
    assert mail.outbox == []
    run_on_commit(sign_in, shared, "budi", password)
    assert [m.to for m in mail.outbox] == [[budi.email]]
    shared.post("/accounts/logout/")
    run_on_commit(sign_in, shared, "ani", password)
    assert len(mail.outbox) == 1


@pytest.fixture
def helpdesk(make_user):
    agent = make_user("agent", is_staff=True)
    agent.groups.add(Group.objects.get(name="Helpdesk"))
    client = Client()
    client.force_login(agent)
    return client


def test_helpdesk_can_unlock_reset_and_sign_out(helpdesk, user, password, phone):
    for _ in range(5):
        sign_in(Client(), "ani", "wrong-password-x")
    user.refresh_from_db()
    assert user.is_locked
    for action in ("unlock_accounts", "reset_mfa", "sign_out_everywhere"):
        response = run_on_commit(
            helpdesk.post, "/admin/accounts/user/",
            {"action": action, "_selected_action": [user.pk], "post": "yes"}, follow=True,
        )  # fmt: skip
        assert response.status_code == 200
    user.refresh_from_db()
    assert not user.is_locked
    assert not user.totpdevice_set.exists()
    actions = AuditEvent.objects.filter(kind=audit.ADMIN_ACTION, actor__username="agent")
    assert sorted(e.details["action"] for e in actions) == [
        "reset_mfa", "sign_out_everywhere", "unlock",
    ]  # fmt: skip


def test_helpdesk_cannot_make_anyone_staff_or_superuser(helpdesk, user):
    page = helpdesk.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200  # may look
    response = helpdesk.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {"username": "ani", "is_staff": "on", "is_superuser": "on", "is_active": "on",
         "email": "ani@example.com", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"},
    )  # fmt: skip
    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.is_staff and not user.is_superuser
    refused = helpdesk.post(
        "/admin/accounts/user/", {"action": "require_new_password", "_selected_action": [user.pk]}
    )
    user.refresh_from_db()
    assert refused.status_code in (200, 302, 403) and not user.must_change_password


def test_staff_admin_without_superuser_cannot_grant_superuser(make_user, user):
    from django.contrib.auth.models import Permission

    manager = make_user("manager", is_staff=True)
    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    client = Client()
    client.force_login(manager)
    client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {"username": "ani", "is_superuser": "on", "is_staff": "on", "is_active": "on",
         "email": "ani@example.com", "full_name": "Ani", "phone": "",
         "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"},
    )  # fmt: skip
    user.refresh_from_db()
    assert not user.is_superuser and not user.is_staff


def test_require_new_password_at_next_sign_in(make_user, user, password):
    root = make_user("root", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(root)
    admin.post(
        "/admin/accounts/user/", {"action": "require_new_password", "_selected_action": [user.pk]}
    )
    client = Client()
    assert sign_in(client, "ani", password)["Location"] == "/accounts/password/change/"
    assert client.get("/")["Location"] == "/accounts/password/change/"
    client.post(
        "/accounts/password/change/",
        {"old_password": password, "new_password1": "fresh long passphrase",
         "new_password2": "fresh long passphrase"},
    )  # fmt: skip
    assert client.get("/").status_code == 200


def test_csv_export_streams_ten_thousand_events(make_user, db):
    root = make_user("root", is_staff=True, is_superuser=True)
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(kind=audit.SIGNIN_PASSWORD, result="failure", username=f"u{i}",
                   ip="192.0.2.1", created_at=now - timedelta(seconds=i))
        for i in range(10_000)
    )  # fmt: skip
    admin = Client()
    admin.force_login(root)
    response = admin.get("/admin/accounts/auditevent/export.csv?result__exact=failure")
    assert response.status_code == 200
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["created_at", "kind", "result"]
    assert len(rows) == 10_001
    assert rows[1][3] == "u0"


def test_audit_list_has_the_admins_filters(make_user, user, client, password):
    sign_in(client, "ani", password)
    root = make_user("root", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(root)
    page = admin.get("/admin/accounts/auditevent/?kind=signin.password&result__exact=success&q=ani")
    assert page.status_code == 200 and "signin.password" in page.text
    assert "Export CSV" in page.text


class TestSecurityQuestion:
    def test_off_by_default(self, client, user, password, settings):
        assert settings.ACCOUNTS_SECURITY_QUESTION_ENABLED is False
        assert client.get("/accounts/question/").status_code == 302
        sign_in(client, "ani", password)
        assert client.get("/accounts/question/").status_code == 404

    @pytest.fixture
    def with_question(self, client, user, password, settings):
        settings.ACCOUNTS_SECURITY_QUESTION_ENABLED = True
        sign_in(client, "ani", password)
        client.post(
            "/accounts/question/", {"question": "Kota lahir ibu?", "answer": "  Jakarta  Selatan "}
        )
        client.post("/accounts/logout/")
        return client

    def test_asked_after_the_password_and_case_and_spaces_ignored(self, with_question, password):
        client = with_question
        assert sign_in(client, "ani", password)["Location"] == "/accounts/login/question/"
        assert "Kota lahir ibu?" in client.get("/accounts/login/question/").text
        assert client.get("/").status_code == 302
        response = client.post("/accounts/login/question/", {"answer": "jakarta selatan"})
        assert led_to(response) == "/"
        assert client.get("/").status_code == 200

    def test_wrong_answers_count_toward_the_lockout(self, with_question, user, password):
        client = with_question
        for _ in range(4):
            sign_in(client, "ani", password)
            assert (
                "not right" in client.post("/accounts/login/question/", {"answer": "Bandung"}).text
            )
        sign_in(client, "ani", password)
        locked = client.post("/accounts/login/question/", {"answer": "Bandung"})
        assert locked["Location"] == "/accounts/login/"
        user.refresh_from_db()
        assert user.is_locked
        assert (audit.SIGNIN_SECURITY_QUESTION, "failure") in kinds(user)


def test_prune_command_and_task_share_the_rule(user, client, password, time_machine):
    from django.core.management import call_command

    from accounts.tasks import prune_audit_events

    time_machine.move_to("2025-01-01 10:00:00+07:00", tick=False)
    sign_in(client, "ani", password)
    time_machine.move_to("2026-11-21 10:00:00+07:00", tick=False)
    out = io.StringIO()
    call_command("prune_audit", stdout=out)
    assert out.getvalue().strip() == "2 audit events deleted."
    assert prune_audit_events.apply().get() == 0


class TestLocation:
    def _sign_in_sharing(self, client, password):
        client.post("/accounts/login/", {"username": "ani"})
        page = client.get("/accounts/login/password/")
        client.post(
            "/accounts/login/password/",
            {"password": password, "latitude": "-6.208763", "longitude": "106.845599"},
        )
        return page

    def test_off_by_default_nothing_is_asked_or_kept(self, client, user, password):
        page = self._sign_in_sharing(client, password)
        assert "Share my approximate location" not in page.text
        assert not AuditEvent.objects.filter(latitude__isnull=False).exists()

    def test_with_the_policy_a_coarse_position_is_recorded(self, client, user, password, settings):
        settings.ACCOUNTS_LOCATION_ENABLED = True
        page = self._sign_in_sharing(client, password)
        assert "Share my approximate location" in page.text
        event = AuditEvent.objects.get(kind=audit.SIGNIN_COMPLETE)
        assert (str(event.latitude), str(event.longitude)) == ("-6.21", "106.85")

    def test_the_previous_persons_position_is_not_the_next_ones(
        self, client, make_user, user, password, settings
    ):
        """Ani shares her position with a wrong password and walks away; budi presses "Not
        you?" and signs in without sharing his: his events carry no position, not hers."""
        settings.ACCOUNTS_LOCATION_ENABLED = True
        budi = make_user("budi")
        client.post(
            "/accounts/login/password/",
            {"username": "ani", "password": "not it", "latitude": "-6.2", "longitude": "106.8"},
        )
        client.post("/accounts/login/restart/")
        assert (
            led_to(
                client.post("/accounts/login/password/", {"username": "budi", "password": password})
            )
            == "/"
        )
        assert not AuditEvent.objects.filter(user=budi, latitude__isnull=False).exists()

    @pytest.mark.parametrize("bad", [("91", "0"), ("abc", "1"), ("1e400", "2"), ("", "5")])
    def test_bad_positions_are_ignored(self, client, user, password, settings, bad):
        settings.ACCOUNTS_LOCATION_ENABLED = True
        client.post("/accounts/login/", {"username": "ani"})
        response = client.post(
            "/accounts/login/password/",
            {"password": password, "latitude": bad[0], "longitude": bad[1]},
        )
        assert led_to(response) == "/"
        assert not AuditEvent.objects.filter(latitude__isnull=False).exists()


class TestSecurityAnswerForms:
    """One answer however the keyboard writes its letters (NFKC), and answers hashed before
    that still work."""

    @pytest.fixture
    def question(self, user, settings):
        from accounts.question import flows

        settings.ACCOUNTS_SECURITY_QUESTION_ENABLED = True
        flows.set_question(
            user, "Nama kota?", "Jose\u0301 \uff2a\uff21\uff2b\uff21\uff32\uff34\uff21"
        )
        return user.security_question

    def _answer(self, password: str, answer: str):
        client = Client()
        assert sign_in(client, "ani", password)["Location"] == "/accounts/login/question/"
        return client.post("/accounts/login/question/", {"answer": answer})

    def test_precomposed_and_plain_letters_are_the_same_answer(self, question, password):
        # A precomposed é (U+00E9) and ASCII letters for the full-width ones.
        assert led_to(self._answer(password, "jos\u00e9 jakarta")) == "/"

    def test_an_answer_hashed_before_nfkc_still_works_and_is_rehashed(self, question, password):
        from django.contrib.auth.hashers import check_password, make_password

        typed = "Jose\u0301 \uff2a\uff21\uff2b\uff21\uff32\uff34\uff21"
        legacy = " ".join(typed.split()).casefold()  # how answers were hashed before
        question.answer_hash = make_password(legacy)
        question.save()
        assert led_to(self._answer(password, typed)) == "/"
        question.refresh_from_db()
        assert check_password("jos\u00e9 jakarta", question.answer_hash)
        assert led_to(self._answer(password, "JOS\u00c9 Jakarta")) == "/"
        assert "not right" in self._answer(password, "bandung").text


def test_confirm_writes_its_events_in_one_insert(user, password, phone, clock):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_USER_AGENT=UA)
    to_challenge(client, password)
    validate(client, "totp", phone.now())
    with CaptureQueriesContext(connection) as captured:
        assert led_to(confirm(client)) == "/"
    inserts = [q["sql"] for q in captured if 'INSERT INTO "accounts_audit' in q["sql"]]
    assert len(inserts) == 1
    # With the user-session row and the known and trusted device (accounts.inserts).
    if connection.vendor == "postgresql":
        assert all(table in inserts[0] for table in ("usersession", "knowndevice", "trusted"))
    assert kinds(user)[-2:] == [
        (audit.SIGNIN_COMPLETE, "success"),
        (audit.TRUSTED_DEVICE_ADDED, "success"),
    ]


def test_events_held_together_are_written_when_the_block_fails(rf, user):
    request = rf.get("/", HTTP_USER_AGENT=UA)
    request.session = {}
    with pytest.raises(RuntimeError), audit.together(request):
        audit.record(request, audit.SIGNIN_COMPLETE, user=user)
        assert not AuditEvent.objects.exists()  # held back until the block ends
        raise RuntimeError
    assert kinds(user) == [(audit.SIGNIN_COMPLETE, "success")]
    assert AuditEvent.objects.get().device == "Pixel 7 / Android 13 / Chrome 120.0"


def test_a_question_asked_with_the_held_rows_sees_the_tables_before_them(rf, user):
    """accounts.inserts.ask inside ``together``: answered once the rows are written, with
    what the table held before them (the new-device alert asks whether the account knew a
    browser before the one it inserts), on PostgreSQL in the same statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts import inserts
    from accounts.models import KnownDevice

    count = "SELECT COUNT(*) FROM accounts_knowndevice WHERE user_id = %s"
    request = rf.get("/", HTTP_USER_AGENT=UA)
    request.session = {}
    answers = []
    with CaptureQueriesContext(connection) as captured, audit.together(request):
        inserts.ask(request, count, [user.pk], answers.append)
        inserts.add(request, KnownDevice(user=user, device_hash="a" * 64, device="one"))
        audit.record(request, audit.SIGNIN_COMPLETE, user=user)
        assert answers == [] and not KnownDevice.objects.exists()  # held back
    assert answers == [0]
    written = [q["sql"] for q in captured.captured_queries[1:] if "SAVEPOINT" not in q["sql"]]
    assert len(written) == (1 if connection.vendor == "postgresql" else 3)  # (after exists())
    assert KnownDevice.objects.filter(user=user).count() == 1
    assert kinds(user) == [(audit.SIGNIN_COMPLETE, "success")]
    with audit.together(request):
        inserts.ask(request, count, [user.pk], answers.append)
        inserts.add(request, KnownDevice(user=user, device_hash="b" * 64, device="two"))
    assert answers == [0, 1]
    # Outside a block the question is answered at once.
    inserts.ask(None, count, [user.pk], answers.append)
    assert answers == [0, 1, 2]
