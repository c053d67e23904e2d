"""Password hashing: Argon2id at OWASP's parameters, upgraded at sign-in; fast client secrets.

design.md § Security defaults (Argon2id t=2, m=19 MiB, p=1, each settable).
"""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.core.checks import run_checks

from accounts import audit
from accounts.models import User
from tests.conftest import PASSWORD, led_to, sign_in


def argon2_params(encoded: str) -> str:
    # argon2$argon2id$v=19$m=…,t=…,p=…$salt$hash
    return encoded.split("$")[3]


def test_new_passwords_use_owasp_parameters(user):
    assert user.password.startswith("argon2$argon2id$")
    assert argon2_params(user.password) == "m=19456,t=2,p=1"


def test_parameters_are_settable(settings, make_user):
    settings.ACCOUNTS_ARGON2_TIME_COST = 3
    settings.ACCOUNTS_ARGON2_MEMORY_KIB = 12288
    settings.ACCOUNTS_ARGON2_PARALLELISM = 2
    assert argon2_params(make_user("budi").password) == "m=12288,t=3,p=2"


def test_an_old_hash_is_upgraded_at_the_next_sign_in(client, make_user):
    user = make_user("citra")
    # Django's own Argon2 defaults (100 MiB, 8 lanes): what accounts carried before.
    User.objects.filter(pk=user.pk).update(
        password=make_password(PASSWORD, hasher=Argon2PasswordHasher())
    )
    assert argon2_params(User.objects.get(pk=user.pk).password) == "m=102400,t=2,p=8"

    sign_in(client, "citra", PASSWORD)

    assert argon2_params(User.objects.get(pk=user.pk).password) == "m=19456,t=2,p=1"


def test_a_wrong_password_does_not_rewrite_the_hash(client, make_user):
    user = make_user("dewi")
    old = make_password(PASSWORD, hasher=Argon2PasswordHasher())
    User.objects.filter(pk=user.pk).update(password=old)

    sign_in(client, "dewi", "not the password at all")

    assert User.objects.get(pk=user.pk).password == old


@pytest.mark.parametrize(
    ("time_cost", "memory_kib", "warned"),
    [(2, 19456, False), (1, 47104, False), (5, 7168, False), (2, 8192, True), (1, 19456, True)],
)
def test_deploy_check_warns_below_owasp_minimum(settings, time_cost, memory_kib, warned):
    # Only the deploy checks (no database: those run under `check --database`).
    settings.ACCOUNTS_ARGON2_TIME_COST = time_cost
    settings.ACCOUNTS_ARGON2_MEMORY_KIB = memory_kib
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert ("accounts.W001" in ids) is warned


def test_a_current_hash_is_not_rewritten_at_sign_in(client, user):
    """Parameters that match the settings: the right password is verified, nothing written to
    the account's row but the sign-in itself (no re-hash, no UPDATE of the password)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = User.objects.get(pk=user.pk).password
    with CaptureQueriesContext(connection) as captured:
        response = sign_in(client, "ani", PASSWORD)
    assert led_to(response) == "/"
    assert User.objects.get(pk=user.pk).password == before
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert not [sql for sql in updates if '"accounts_user"' in sql and '"password"' in sql]


def test_an_unknown_name_still_costs_one_hash(client, db, monkeypatch):
    """No account by that name: a dummy password is hashed, as Django's ModelBackend does, so
    the answer takes as long as a wrong password for an account that exists."""
    from accounts.hashers import Argon2idPasswordHasher

    hashed = []
    original = Argon2idPasswordHasher.encode
    monkeypatch.setattr(
        Argon2idPasswordHasher,
        "encode",
        lambda self, password, salt: hashed.append(password) or original(self, password, salt),
    )
    response = sign_in(client, "nobody-by-this-name", "some password")
    assert led_to(response) == ""  # the password page again
    assert hashed == ["some password"]


@pytest.mark.django_db(transaction=True)  # each statement commits, as in production
@pytest.mark.parametrize("old_hash", [True, False])
@pytest.mark.parametrize("fresh_read", ["", "mfa.challenge.factors.fresh_with_factors"])
def test_an_account_deleted_during_its_sign_in_is_refused(
    client, make_user, monkeypatch, settings, fresh_read, old_hash
):
    """Deleted between the password step's first read and its second: the password still
    matches the hash read first (an outdated one finds no row to write its upgrade to). The
    person is told what an unknown account is told; the attempt is recorded for the typed name,
    with no reference to the deleted row."""
    from accounts import lockout
    from accounts.models import AuditEvent

    settings.ACCOUNTS_PASSWORD_FRESH_READ = fresh_read
    user = make_user("eka")
    if old_hash:
        User.objects.filter(pk=user.pk).update(
            password=make_password(PASSWORD, hasher=Argon2PasswordHasher())
        )
    find_user = lockout.find_user

    def found_then_deleted(username):
        found = find_user(username)
        User.objects.filter(pk=found.pk).delete()
        return found

    monkeypatch.setattr(lockout, "find_user", found_then_deleted)
    response = sign_in(client, "eka", PASSWORD)

    assert response.status_code == 200
    assert "Wrong username or password." in response.content.decode()
    assert not User.objects.filter(username="eka").exists()
    event = AuditEvent.objects.filter(kind=audit.SIGNIN_PASSWORD).latest("id")
    assert (event.result, event.user_id, event.username) == (audit.FAILURE, None, "eka")


def test_an_old_hash_of_a_deleted_account_is_checked_without_an_error(make_user):
    """Django's check_password rewrites an outdated hash with ``save(update_fields=...)``,
    which raises when the row is gone (a re-authentication racing an account's deletion)."""
    user = make_user("fajar")
    User.objects.filter(pk=user.pk).update(
        password=make_password(PASSWORD, hasher=Argon2PasswordHasher())
    )
    user.refresh_from_db()
    User.objects.filter(pk=user.pk).delete()

    assert user.check_password(PASSWORD) is True
    assert argon2_params(user.password) == "m=19456,t=2,p=1"
    assert not User.objects.filter(pk=user.pk).exists()  # not written back


@pytest.mark.django_db(transaction=True)
def test_an_account_deleted_while_its_code_is_checked_is_refused(client, user, phone, monkeypatch):
    """The same race at the second factor: the account is deleted once the code's attempt is
    reserved (between the step's first read of the account and its fresh read)."""
    from accounts import counters
    from accounts.models import AuditEvent

    assert led_to(sign_in(client, user.username, PASSWORD)) == "/security/challenge/totp/"
    reserve_unless = counters.reserve_unless

    def reserved_then_deleted(*args, **kwargs):
        counts = reserve_unless(*args, **kwargs)
        User.objects.filter(pk=user.pk).delete()
        return counts

    monkeypatch.setattr(counters, "reserve_unless", reserved_then_deleted)
    response = client.post("/security/challenge/totp/", {"code": phone.now()})

    assert response.status_code in (200, 302)
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.filter(kind=audit.SIGNIN_SECOND_FACTOR).latest("id")
    assert (event.result, event.user_id) == (audit.FAILURE, None)
