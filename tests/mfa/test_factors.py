"""The pending user read for the challenge (mfa.challenge.factors): the same User the ORM
gives, with what it has enrolled, or alone when Confirm and Continue needs none of it."""

import pytest

from accounts.models import User
from mfa.challenge import factors
from mfa.challenge.base import ENROLLED_ATTRIBUTE
from mfa.flows import enrolled_methods


@pytest.mark.django_db
def test_the_pending_user_is_read_with_what_it_has_enrolled(user, phone):
    pending = factors.pending_user(user.pk)
    assert pending is not None
    loaded = User.objects.get(pk=user.pk)
    for field in User._meta.concrete_fields:
        assert getattr(pending, field.attname) == getattr(loaded, field.attname), field.name
    enrolled = getattr(pending, ENROLLED_ATTRIBUTE)
    assert enrolled["totp"] is True
    assert [method.slug for method in enrolled_methods(pending)] == ["totp"]


@pytest.mark.django_db
def test_without_enrolled_the_row_is_read_alone_and_methods_still_answer(user, phone):
    pending = factors.pending_user(user.pk, enrolled=False)
    assert pending is not None and pending.pk == user.pk
    assert getattr(pending, ENROLLED_ATTRIBUTE, None) is None
    # Asked anyway, each method reads its own rows.
    assert [method.slug for method in enrolled_methods(pending)] == ["totp"]


@pytest.mark.django_db
def test_an_inactive_or_missing_user_is_no_pending_user(user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert factors.pending_user(user.pk) is None
    assert factors.pending_user(user.pk, enrolled=False) is None
    assert factors.pending_user(user.pk + 1000) is None


@pytest.mark.django_db
@pytest.mark.parametrize("compiled", [True, False])
def test_the_password_step_reads_the_lock_again_with_what_is_enrolled(
    user, phone, monkeypatch, compiled
):
    """Once a password attempt is reserved, the lock, hash and active flag are read again
    (a lock or a new password written since the first look counts) together with what the
    account has enrolled, which the step after the password needs: one statement, and no read
    of the factors after it. Where the statement cannot be kept (SQLite), the two reads of
    before."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from mfa.flows import has_second_factor

    if not compiled:
        monkeypatch.setattr(factors, "_statements", lambda methods, vendor: None)
    first_look = User.objects.get(pk=user.pk)  # read before the lock and the new password
    locked_until = timezone.now() + timedelta(minutes=15)
    changed = User.objects.get(pk=user.pk)
    changed.set_password("an entirely new passphrase")
    changed.locked_until = locked_until
    changed.save()
    with CaptureQueriesContext(connection) as queries:
        assert factors.fresh_with_factors(first_look) is first_look
        assert first_look.locked_until == locked_until
        assert first_look.check_password("an entirely new passphrase")
        assert has_second_factor(first_look)
    one_statement = compiled and factors._statements(factors.all_methods(), connection.vendor)
    assert len(queries.captured_queries) == (1 if one_statement else 2)


@pytest.mark.django_db
def test_an_account_deleted_since_the_first_look_reads_as_not_active(user):
    first_look = User.objects.get(pk=user.pk)
    User.objects.filter(pk=user.pk).delete()
    assert factors.fresh_with_factors(first_look) is first_look
    assert first_look.is_active is False
    assert factors.fresh_with_factors(None) is None


@pytest.mark.django_db
def test_a_first_factor_set_up_while_the_password_is_checked_is_asked_for(
    client, user, password, monkeypatch
):
    """What is enrolled is read with the password's lock re-read, before the hash is checked
    (an Argon2 verify's time): an account found without a second factor is read again after
    the check, so a first factor set up meanwhile in another session is asked for."""
    from django.contrib.auth import SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert not TOTPDevice.objects.filter(user=user).exists()
    checked = User.check_password

    def check_then_enrol(self, raw_password):  # type: ignore[no-untyped-def]
        right = checked(self, raw_password)
        TOTPDevice.objects.create(user_id=self.pk, name="Phone", confirmed=True)
        return right

    monkeypatch.setattr(User, "check_password", check_then_enrol)
    page = client.post("/accounts/login/password/", {"username": "ani", "password": password})
    assert SESSION_KEY not in client.session
    assert 'action="/security/challenge/totp/"' in page.text
