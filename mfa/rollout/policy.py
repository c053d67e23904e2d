"""One person's MFA rule, from the policy for everyone, their groups' policies and staff status.

design.md "Rolling MFA out". The rules, in order:

1. Every policy that applies is a candidate: the policy for everyone (``OverallPolicy``; without
   that row, the ``MFA_REQUIRED_FOR`` setting: ``none``, ``staff`` or ``all``), the policy of
   each group the person is in, and for staff and superusers the staff level (``required``
   unless an admin chose otherwise). A person in no group has the policy for everyone.
2. The strictest level wins (none < optional < required). Among required candidates the
   earliest deadline wins, and "no deadline" (required now) is the earliest of all.
3. The factors offered are those every winning candidate allows that the portal has turned on;
   if the candidates allow nothing in common, their union; never nothing while one kind is on,
   so nobody is required to enrol without a way to do it (then the level drops to optional).
4. An admin's extension for the person moves the deadline to at least its date.

``policy_for(user)`` returns the result; ``enrolment_required(user)`` says whether the person
must set up a factor now, before Home or any relying app.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from mfa.rollout.models import LEVEL_RANK, Extension, Factor, GroupPolicy, Level, OverallPolicy

# The ChallengeMethod slug of each factor kind (mfa.flows.all_methods).
_FACTOR_SLUGS = {Factor.PASSKEY: "passkey", Factor.TOTP: "totp", Factor.EMAIL: "email",
                 Factor.SMS: "sms"}  # fmt: skip
ALL_FACTORS = tuple(f.value for f in Factor)
DAY_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class Candidate:
    """One policy that applies to a person; ``source`` names it ("" = everyone)."""

    level: str
    deadline: datetime | None
    factors: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Policy:
    """The rule for one person.

    ``level`` is a ``Level`` value; ``deadline`` is an aware datetime or None (no deadline: for
    ``required``, enrolment is due at once); ``factors`` are the factor kinds enrolment offers
    (``Factor`` values, passkey first); ``sources`` name the policies that set the level
    ("" = everyone, "staff", or group names); ``extended_until`` is the person's extension.
    """

    level: str
    deadline: datetime | None = None
    factors: tuple[str, ...] = ALL_FACTORS
    sources: tuple[str, ...] = ()
    extended_until: datetime | None = None
    conflicting_factors: bool = False

    @property
    def required(self) -> bool:
        return self.level == Level.REQUIRED

    def due(self, now: datetime | None = None) -> bool:
        """Required and the deadline (if any) has come."""
        now = now or timezone.now()
        return self.required and (self.deadline is None or now >= self.deadline)

    def in_grace(self, now: datetime | None = None) -> bool:
        """Required with a deadline still ahead: the time for reminders."""
        now = now or timezone.now()
        return self.required and self.deadline is not None and now < self.deadline

    def days_left(self, now: datetime | None = None) -> int:
        """Whole days (rounded up) until the deadline; 0 when it has come or there is none."""
        if self.deadline is None:
            return 0
        seconds = (self.deadline - (now or timezone.now())).total_seconds()
        return max(0, math.ceil(seconds / DAY_SECONDS))


def enabled_factors() -> tuple[str, ...]:
    """The factor kinds this portal has turned on (MFA_CHALLENGE_METHODS), in enrolment order."""
    from mfa.flows import all_methods

    slugs = {method.slug for method in all_methods()}
    return tuple(f.value for f in Factor if _FACTOR_SLUGS[Factor(f)] in slugs)


def _setting_default() -> OverallPolicy:
    """The policy for everyone before an admin saves one: MFA_REQUIRED_FOR (none/staff/all)."""
    setting = getattr(settings, "MFA_REQUIRED_FOR", "staff")
    return OverallPolicy(
        level=Level.REQUIRED if setting == "all" else Level.NONE,
        staff_level=Level.NONE if setting == "none" else Level.REQUIRED,
    )


def overall_policy() -> OverallPolicy:
    """The saved policy for everyone, or the MFA_REQUIRED_FOR default (unsaved)."""
    return OverallPolicy.objects.first() or _setting_default()


@dataclass
class PolicyBook:
    """Every policy and extension, read once, for judging many people (reminders, admin)."""

    overall: OverallPolicy
    groups: dict[int, GroupPolicy]
    extensions: dict[int, datetime] = field(default_factory=dict)

    @classmethod
    def load(cls, user_ids: Iterable[int] | None = None) -> "PolicyBook":
        """Reads the policies; extensions of ``user_ids`` only, or of everyone when None."""
        groups = {p.group_id: p for p in GroupPolicy.objects.select_related("group")}
        extensions = Extension.objects.all()
        if user_ids is not None:
            extensions = extensions.filter(user_id__in=list(user_ids))
        return cls(overall_policy(), groups, dict(extensions.values_list("user_id", "until")))

    def policy_for(self, user, group_ids: Iterable[int]) -> Policy:
        """The rule for ``user`` who is in the groups ``group_ids``."""
        overall = self.overall
        candidates = [Candidate(overall.level, overall.deadline, overall.allowed_factors(), "")]
        if user.is_staff or user.is_superuser:
            candidates.append(
                Candidate(overall.staff_level, None, overall.allowed_factors(), "staff")
            )
        for group_id in group_ids:
            policy = self.groups.get(group_id)
            if policy is not None:
                candidates.append(
                    Candidate(policy.level, policy.deadline, policy.allowed_factors(),
                              policy.group.name)
                )  # fmt: skip
        return _strictest(candidates, self.extensions.get(user.pk))


def _strictest(candidates: list[Candidate], extended_until: datetime | None) -> Policy:
    rank = max(LEVEL_RANK[Level(c.level)] for c in candidates)
    winners = [c for c in candidates if LEVEL_RANK[Level(c.level)] == rank]
    level = winners[0].level
    sources = tuple(c.source for c in winners)
    if level == Level.NONE:
        return Policy(level, sources=sources)
    enabled = enabled_factors()
    common = set(enabled)
    for c in winners:
        common &= set(c.factors)
    conflict = not common
    if conflict:
        common = set(enabled) & {f for c in winners for f in c.factors}
    if not common:
        # Nothing the policies allow is turned on: nobody can be made to enrol (rule 3).
        common = set(enabled)
        level = Level.OPTIONAL if common else Level.NONE
    factors = tuple(f for f in ALL_FACTORS if f in common)
    deadline = None
    if level == Level.REQUIRED:
        deadlines = [c.deadline for c in winners]
        deadline = None if None in deadlines else min(deadlines)
        if extended_until is not None and (deadline is None or extended_until > deadline):
            deadline = extended_until
    return Policy(level, deadline, factors, sources, extended_until, conflict)


def policy_for(user) -> Policy:
    """The MFA rule for ``user`` (an accounts.User): level, deadline and factors offered.

    Reads the policy for everyone, the user's group policies and their extension (three small
    queries). See the module docstring for how candidates combine.
    """
    book = PolicyBook.load(user_ids=[user.pk])
    return book.policy_for(user, user.groups.values_list("id", flat=True))


def has_second_factor(user) -> bool:
    """Whether ``user`` has at least one factor (recovery codes alone do not count)."""
    from mfa.flows import has_second_factor as has_factor

    return has_factor(user)


def enrolment_required(user, now: datetime | None = None) -> bool:
    """True when ``user`` must set up a second factor before Home or any relying app.

    That is: their policy is ``required``, its deadline (moved by any extension) has come or
    there is none, a factor kind is available to enrol, and they have no factor yet. ``now``
    (aware datetime) defaults to the current time. Callers that bring people in (invitations,
    registration) call this after the password is set to send them to enrolment.
    """
    policy = policy_for(user)
    return policy.due(now) and bool(policy.factors) and not has_second_factor(user)
