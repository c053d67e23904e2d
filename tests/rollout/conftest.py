"""Fixtures for the MFA rollout: groups with policies, a fixed clock."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group

from mfa.rollout.models import GroupPolicy, Level, OverallPolicy

JAKARTA = ZoneInfo("Asia/Jakarta")
# The fixed "now" of every deadline test: Monday 2 March 2026, 09:00 in Jakarta.
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=JAKARTA)


@pytest.fixture
def clock():
    """time-machine's traveller, fixed at NOW (it does not tick); ``clock.move_to(...)``."""
    import time_machine

    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def group_policy(db):
    """Makes a group with a policy: ``group_policy("Finance", "required", days=10)``."""

    def make(name: str, level: str = Level.REQUIRED, days: int | None = None, **allow) -> Group:
        group = Group.objects.create(name=name)
        deadline = NOW + timedelta(days=days) if days is not None else None
        GroupPolicy.objects.create(group=group, level=level, deadline=deadline, **allow)
        return group

    return make


@pytest.fixture
def overall(db):
    def make(level: str = Level.NONE, staff_level: str = Level.REQUIRED, days=None, **allow):
        deadline = NOW + timedelta(days=days) if days is not None else None
        return OverallPolicy.objects.create(
            level=level, staff_level=staff_level, deadline=deadline, **allow
        )

    return make
