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
