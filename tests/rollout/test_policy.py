"""Whose policy is what: strictest of the groups, the overall default, staff, extensions."""

from datetime import timedelta

import pytest

from mfa.rollout.models import Extension, Level
from mfa.rollout.policy import enrolment_required, policy_for
from tests.rollout.conftest import NOW

pytestmark = pytest.mark.django_db


def test_without_saved_policy_mfa_required_for_is_the_default(make_user, settings):
    staff = make_user("boss", is_staff=True)
    person = make_user("ani")
    settings.MFA_REQUIRED_FOR = "staff"
    assert policy_for(staff).due() and policy_for(person).level == Level.NONE
    settings.MFA_REQUIRED_FOR = "all"
    assert policy_for(person).due()
    settings.MFA_REQUIRED_FOR = "none"
    assert policy_for(staff).level == Level.NONE


def test_person_in_no_group_has_the_policy_for_everyone(make_user, overall, clock):
    overall(Level.OPTIONAL)
    policy = policy_for(make_user("ani"))
    assert policy.level == Level.OPTIONAL and policy.sources == ("",)


def test_strictest_group_wins_and_earliest_deadline(make_user, group_policy, clock):
    ani = make_user("ani")
    ani.groups.add(group_policy("Optional", Level.OPTIONAL))
    ani.groups.add(group_policy("Late", Level.REQUIRED, days=30))
    ani.groups.add(group_policy("Soon", Level.REQUIRED, days=10))
    policy = policy_for(ani)
    assert policy.level == Level.REQUIRED
    assert policy.deadline == NOW + timedelta(days=10)
    assert set(policy.sources) == {"Late", "Soon"}
    assert policy.days_left() == 10


def test_required_without_deadline_beats_any_deadline(make_user, group_policy, clock):
    ani = make_user("ani")
    ani.groups.add(group_policy("Now", Level.REQUIRED))
    ani.groups.add(group_policy("Later", Level.REQUIRED, days=10))
    assert policy_for(ani).deadline is None
    assert enrolment_required(ani)


def test_deadline_rule_before_at_and_after(make_user, group_policy, clock):
    ani = make_user("ani")
    ani.groups.add(group_policy("Finance", Level.REQUIRED, days=10))
    assert not enrolment_required(ani)
    assert policy_for(ani).in_grace()
    clock.move_to(NOW + timedelta(days=10) - timedelta(seconds=1))
    assert not enrolment_required(ani) and policy_for(ani).days_left() == 1
    clock.move_to(NOW + timedelta(days=10))
    assert enrolment_required(ani)


def test_a_factor_ends_the_requirement(make_user, group_policy, clock):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    ani = make_user("ani")
    ani.groups.add(group_policy("Finance", Level.REQUIRED))
    assert enrolment_required(ani)
    TOTPDevice.objects.create(user=ani, name="Authenticator", confirmed=True)
    assert not enrolment_required(ani)


def test_extension_moves_the_deadline_for_one_person(make_user, group_policy, clock):
    ani, budi = make_user("ani"), make_user("budi")
    finance = group_policy("Finance", Level.REQUIRED, days=0)  # the deadline is now
    ani.groups.add(finance)
    budi.groups.add(finance)
    Extension.objects.create(user=ani, until=NOW + timedelta(days=7))
    assert not enrolment_required(ani) and policy_for(ani).days_left() == 7
    assert enrolment_required(budi)
    clock.move_to(NOW + timedelta(days=7))
    assert enrolment_required(ani)


def test_an_earlier_extension_never_shortens_the_deadline(make_user, group_policy, clock):
    ani = make_user("ani")
    ani.groups.add(group_policy("Finance", Level.REQUIRED, days=20))
    Extension.objects.create(user=ani, until=NOW + timedelta(days=3))
    assert policy_for(ani).deadline == NOW + timedelta(days=20)


def test_staff_stay_required_unless_the_admin_says_otherwise(make_user, overall, clock):
    boss = make_user("boss", is_staff=True)
    policy = overall(Level.NONE)
    assert enrolment_required(boss)
    policy.staff_level = Level.OPTIONAL
    policy.save()
    assert not enrolment_required(boss) and policy_for(boss).level == Level.OPTIONAL


def test_factors_offered_are_those_every_strictest_policy_allows(make_user, group_policy, clock):
    ani = make_user("ani")
    ani.groups.add(group_policy("A", Level.REQUIRED, allow_sms=False))
    ani.groups.add(group_policy("B", Level.REQUIRED, allow_email=False))
    assert policy_for(ani).factors == ("passkey", "totp")


def test_policies_with_nothing_in_common_offer_the_union(make_user, group_policy, clock):
    ani = make_user("ani")
    ani.groups.add(group_policy("Keys", Level.REQUIRED, allow_totp=False, allow_email=False,
                                allow_sms=False))  # fmt: skip
    ani.groups.add(group_policy("Codes", Level.REQUIRED, allow_passkey=False))
    policy = policy_for(ani)
    assert policy.conflicting_factors
    assert policy.factors == ("passkey", "totp", "email", "sms")


def test_required_with_no_factor_turned_on_locks_nobody_in(make_user, group_policy, settings):
    settings.MFA_CHALLENGE_METHODS = ["mfa.methods.EmailCodeMethod"]
    from mfa.flows import all_methods

    all_methods.cache_clear()
    try:
        ani = make_user("ani")
        ani.groups.add(group_policy("Keys", Level.REQUIRED, allow_email=False))
        policy = policy_for(ani)
        # Only e-mail is on and the group forbids it: the person is not held to enrolment
        # (nobody locked out) but may still set up e-mail codes.
        assert policy.level == Level.OPTIONAL and policy.factors == ("email",)
        assert not enrolment_required(ani)
    finally:
        all_methods.cache_clear()


def test_deleted_group_releases_its_members(make_user, group_policy, clock):
    ani = make_user("ani")
    finance = group_policy("Finance", Level.REQUIRED)
    ani.groups.add(finance)
    assert enrolment_required(ani)
    finance.delete()
    assert not enrolment_required(ani)
    assert policy_for(ani).level == Level.NONE
