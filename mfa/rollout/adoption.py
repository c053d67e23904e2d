"""Who has a second factor, by group and overall: the figures of the "MFA adoption" admin view,
the daily snapshot for its trend, and the list of people the reminder mails go to.

Factors are counted from the factor tables in a few queries (an ``Exists`` per kind), never one
query per person, so the figures stay cheap for tens of thousands of accounts.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from django.apps import apps
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User
from mfa.rollout.models import AdoptionSnapshot, Factor, Reminder
from mfa.rollout.policy import Policy, PolicyBook


def factor_subqueries() -> dict[str, Exists]:
    """``{factor kind: Exists(...)}`` for an annotated User queryset, for installed factors."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from mfa.models import EmailDevice

    found = {
        Factor.TOTP.value: Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        Factor.EMAIL.value: Exists(EmailDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
    }
    if apps.is_installed("mfa.passkeys"):
        from mfa.passkeys.models import Passkey

        found[Factor.PASSKEY.value] = Exists(Passkey.objects.filter(user=OuterRef("pk")))
    if apps.is_installed("mfa.sms"):
        from mfa.sms.models import SmsDevice

        found[Factor.SMS.value] = Exists(
            SmsDevice.objects.filter(user=OuterRef("pk"), confirmed=True, enabled=True)
        )
    return found


def people_without_factor(queryset: QuerySet[User] | None = None) -> QuerySet[User]:
    """Active accounts (of ``queryset``, default all) without any second factor."""
    queryset = (queryset if queryset is not None else User.objects.all()).filter(is_active=True)
    for sub in factor_subqueries().values():
        queryset = queryset.exclude(sub)
    return queryset


@dataclass
class ScopeFigures:
    """Adoption in one scope: everyone (``name`` "") or one group."""

    name: str
    group_id: int | None
    people: int = 0
    enrolled: int = 0
    by_factor: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    mail_failed: int = 0

    @property
    def share(self) -> float:
        """Share of people with at least one factor, in percent (0 when the scope is empty)."""
        return round(100 * self.enrolled / self.people, 1) if self.people else 0.0


def figures() -> list[ScopeFigures]:
    """Everyone first, then every group by name: people, enrolled, by factor, Later clicks and
    failed reminder mails."""
    from django.contrib.auth.models import Group

    subqueries = factor_subqueries()
    rows = (
        User.objects.filter(is_active=True)
        .annotate(**{f"has_{name}": sub for name, sub in subqueries.items()})
        .values_list("pk", *[f"has_{name}" for name in subqueries])
    )
    factors_of = {row[0]: {n for n, has in zip(subqueries, row[1:], strict=True) if has}
                  for row in rows}  # fmt: skip
    members: dict[int, set[int]] = {}
    for user_id, group_id in User.groups.through.objects.values_list("user_id", "group_id"):
        if user_id in factors_of:
            members.setdefault(group_id, set()).add(user_id)
    skipped = Counter(
        Reminder.objects.filter(kind=Reminder.Kind.LATER).values_list("user_id", flat=True)
    )
    failed = Counter(
        Reminder.objects.filter(kind=Reminder.Kind.MAIL_FAILED).values_list("user_id", flat=True)
    )

    def scope(name: str, group_id: int | None, people: set[int]) -> ScopeFigures:
        by_factor = Counter(f for pk in people for f in factors_of[pk])
        return ScopeFigures(
            name=name,
            group_id=group_id,
            people=len(people),
            enrolled=sum(1 for pk in people if factors_of[pk]),
            by_factor={f.value: by_factor.get(f.value, 0) for f in Factor if f.value in subqueries},
            skipped=sum(skipped[pk] for pk in people),
            mail_failed=sum(failed[pk] for pk in people),
        )

    result = [scope("", None, set(factors_of))]
    for group in Group.objects.order_by("name"):
        result.append(scope(group.name, group.pk, members.get(group.pk, set())))
    return result


@transaction.atomic
def take_snapshot(day: date | None = None) -> int:
    """Stores today's (or ``day``'s) figures for the trend; taking it again replaces it.
    Returns the number of scopes stored."""
    day = day or timezone.localdate()
    stored = 0
    for scope in figures():
        AdoptionSnapshot.objects.update_or_create(
            day=day,
            scope=scope.name,
            defaults={
                "group_id": scope.group_id,
                "people": scope.people,
                "enrolled": scope.enrolled,
                "by_factor": scope.by_factor,
                "skipped": scope.skipped,
            },
        )
        stored += 1
    return stored


def policies_of(users: list[User], book: PolicyBook | None = None) -> dict[int, Policy]:
    """The policy of each of ``users`` (with ``groups`` prefetched, ideally), in few queries."""
    book = book or PolicyBook.load(user_ids=[u.pk for u in users])
    return {u.pk: book.policy_for(u, [g.pk for g in u.groups.all()]) for u in users}


def due_for_reminder_mail(now: datetime, interval_days: int) -> list[int]:
    """Ids of people to mail a reminder now: no factor, an e-mail address, a required policy
    whose deadline is ahead, and no reminder mail (sent or failed) in ``interval_days``."""
    recent = Reminder.objects.filter(
        kind__in=[Reminder.Kind.MAILED, Reminder.Kind.MAIL_FAILED],
        created_at__gt=now - timezone.timedelta(days=interval_days),
    ).values("user_id")
    people = list(
        people_without_factor().exclude(email="").exclude(pk__in=recent).prefetch_related("groups")
    )
    policies = policies_of(people)
    return [u.pk for u in people if policies[u.pk].in_grace(now) and policies[u.pk].factors]
