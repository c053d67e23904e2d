"""Which challenge methods a user has enrolled, read in one query.

Each method names the rows that make it enrolled (``ChallengeMethod.enrolled_rows``); the
sign-in reads all of them at once as EXISTS subqueries, with the pending user's own row
(``pending_user``) or for a user already loaded (``read``), and keeps the answer on that User
object for the rest of the request (``ChallengeMethod.is_enrolled`` looks there first). Nothing
is kept longer than the request: the next one reads again. Verifying a factor always reads its
own rows (the authenticator's row under lock), never this summary.

The ORM takes longer to build these statements (five EXISTS subqueries: about 1.5 ms of CPU)
than PostgreSQL takes to run them, so each is compiled once per process and list of methods,
with a stand-in for the user's id, and run with the id (``_statements``).
"""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.module_loading import import_string

from accounts import lockout
from accounts.models import User
from mfa.challenge.base import ENROLLED_ATTRIBUTE, ChallengeMethod
from sso.compiled_sql import CompiledSelect, compile_select

_ANNOTATION = "_mfa_enrolled_{}"
# Stands for the user's id in the statements compiled once; never a real id.
_USER_ID = -2_026_112_109


@cache
def all_methods() -> tuple[ChallengeMethod, ...]:
    """The methods of ``MFA_CHALLENGE_METHODS``, in the picker's order (made once)."""
    return tuple(import_string(path)() for path in settings.MFA_CHALLENGE_METHODS)


def _subqueries() -> dict[str, Exists]:
    """One EXISTS per method that names its rows, by annotation name."""
    return {
        _ANNOTATION.format(method.slug): Exists(rows.filter(user=OuterRef("pk")))
        for method in all_methods()
        if (rows := method.enrolled_rows()) is not None
    }


def _user_columns() -> tuple[str, ...]:
    return tuple(field.attname for field in User._meta.concrete_fields)


@cache
def _enrolled_names(methods: tuple[ChallengeMethod, ...]) -> tuple[str, ...]:
    """The EXISTS columns' names, in their order in the statements (made once)."""
    return tuple(_subqueries())


def _pending_users(user_id: int, *, enrolled: bool = True) -> QuerySet:
    """The active user's columns (``_user_columns``), then one EXISTS per method when
    ``enrolled``."""
    subqueries = _subqueries() if enrolled else {}
    users = User.objects.filter(pk=user_id, is_active=True).annotate(**subqueries)
    return users.values_list(*_user_columns(), *subqueries)[:1]


def _factors(user_id: int) -> QuerySet:
    return User.objects.filter(pk=user_id).values(**_subqueries())


def _fresh_with_factors(user_id: int) -> QuerySet:
    """The columns ``lockout.fresh`` reads again (``lockout.FRESH_COLUMNS``), then one EXISTS
    per method."""
    subqueries = _subqueries()
    users = User.objects.filter(pk=user_id).annotate(**subqueries)
    return users.values_list(*lockout.FRESH_COLUMNS, *subqueries)[:1]


@dataclass(frozen=True)
class _Statements:
    pending_user: CompiledSelect  # the active user's row with one EXISTS column per method
    user: CompiledSelect  # the active user's row alone
    factors: CompiledSelect  # the EXISTS columns alone
    fresh: CompiledSelect  # the lock, hash and active flag, then the EXISTS columns


@cache
def _statements(methods: tuple[ChallengeMethod, ...], vendor: str) -> _Statements | None:
    """The statements, compiled for these methods and this database; None when the stand-in
    for the user's id cannot be told from the other parameters, or the backend converts a
    column it returns (SQLite's dates and booleans): the ORM then builds them each time."""
    compiled = [
        compile_select(queryset, _USER_ID)
        for queryset in (
            _pending_users(_USER_ID),
            _pending_users(_USER_ID, enrolled=False),
            _factors(_USER_ID),
            _fresh_with_factors(_USER_ID),
        )
    ]
    return None if None in compiled else _Statements(*compiled)


def _keep(user: User, values: dict[str, object]) -> None:
    """Keeps the EXISTS answers on ``user``, by method slug."""
    prefix = len(_ANNOTATION.format(""))
    setattr(user, ENROLLED_ATTRIBUTE, {name[prefix:]: bool(v) for name, v in values.items()})


def pending_user(user_id: int, *, enrolled: bool = True) -> User | None:
    """The active user ``user_id`` in one query, with what it has enrolled unless
    ``enrolled`` is False (signing in after the challenge needs none of it); None when there
    is no such active user.

    The row is made into a User as the ORM does (``Model.from_db``), without a RawQuerySet
    (about 1 ms of CPU each time).
    """
    statements = _statements(all_methods(), connection.vendor)
    if statements is None:
        row = next(iter(_pending_users(user_id, enrolled=enrolled)), None)
    else:
        row = (statements.pending_user if enrolled else statements.user).row(user_id)
    if row is None:
        return None
    columns = _user_columns()
    user = User.from_db(connection.alias, columns, row[: len(columns)])
    if enrolled:
        names = _enrolled_names(all_methods())
        _keep(user, dict(zip(names, row[len(columns) :], strict=True)))
    return user


def is_read(user: User) -> bool:
    """Whether what ``user`` has enrolled is known already (``read`` or ``pending_user``)."""
    return getattr(user, ENROLLED_ATTRIBUTE, None) is not None


def read(user: User, *, again: bool = False) -> None:
    """Reads what ``user`` (already loaded) has enrolled, in one query, unless known (or
    ``again``: known from a read made earlier in the request, which may be outdated)."""
    if is_read(user) and not again:
        return
    statements = _statements(all_methods(), connection.vendor)
    if statements is None:
        values = _factors(user.pk).first() or {}
    else:
        with connection.cursor() as cursor:
            cursor.execute(statements.factors.sql, statements.factors.params_for(user.pk))
            row = cursor.fetchone()
            values = dict(zip((c[0] for c in cursor.description), row or (), strict=False))
    _keep(user, values)


def fresh_with_factors(user: User | None) -> User | None:
    """``accounts.lockout.fresh`` (the lock, hash and active flag read again once a password
    attempt is reserved) that also reads what ``user`` has enrolled, in the same statement, and
    keeps it as ``read`` does: the step after a right password needs it (``ACCOUNTS_PASSWORD_
    FRESH_READ``). Returns ``user`` (None stays None); an account deleted meanwhile reads as
    not active, as with ``lockout.fresh``.

    Read before the password is checked, so a wrong password reads the factors too: one
    statement of a few EXISTS, where a right one saves a round trip.
    """
    statements = _statements(all_methods(), connection.vendor)
    if user is None or statements is None:
        return lockout.fresh(user)
    row = statements.fresh.row(user.pk)
    if row is None:  # the account was deleted meanwhile, as lockout.fresh reads it
        return lockout.read_as_deleted(user)
    count = len(lockout.FRESH_COLUMNS)
    user.locked_until, user.password, user.is_active = row[:count]
    _keep(user, dict(zip(_enrolled_names(all_methods()), row[count:], strict=True)))
    return user
