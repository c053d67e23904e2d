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

from accounts.models import User
from mfa.challenge.base import ENROLLED_ATTRIBUTE, ChallengeMethod

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


def _pending_users(user_id: int) -> QuerySet[User]:
    return User.objects.filter(pk=user_id, is_active=True).annotate(**_subqueries())


def _factors(user_id: int) -> QuerySet:
    return User.objects.filter(pk=user_id).values(**_subqueries())


@dataclass(frozen=True)
class _Statement:
    """SQL compiled once; ``params`` with the user's id at ``user_at``."""

    sql: str
    params: tuple
    user_at: int

    def params_for(self, user_id: int) -> list:
        params = list(self.params)
        params[self.user_at] = user_id
        return params


@dataclass(frozen=True)
class _Statements:
    pending_user: _Statement  # the active user's row with one EXISTS column per method
    factors: _Statement  # the EXISTS columns alone


@cache
def _statements(methods: tuple[ChallengeMethod, ...], vendor: str) -> _Statements | None:
    """Both statements, compiled for these methods and this database; None when the stand-in
    for the user's id cannot be told from the other parameters (the ORM then builds the
    statement each time)."""
    compiled = []
    for queryset in (_pending_users(_USER_ID), _factors(_USER_ID)):
        sql, params = queryset.query.sql_with_params()
        if list(params).count(_USER_ID) != 1:
            return None
        compiled.append(_Statement(sql, tuple(params), list(params).index(_USER_ID)))
    return _Statements(*compiled)


def _keep(user: User, values: dict[str, object]) -> None:
    """Keeps the EXISTS answers on ``user``, by method slug."""
    prefix = len(_ANNOTATION.format(""))
    setattr(user, ENROLLED_ATTRIBUTE, {name[prefix:]: bool(v) for name, v in values.items()})


def pending_user(user_id: int) -> User | None:
    """The active user ``user_id`` with what it has enrolled, in one query; None when there is
    no such active user."""
    statements = _statements(all_methods(), connection.vendor)
    if statements is None:
        users = list(_pending_users(user_id))
    else:
        statement = statements.pending_user
        users = list(User.objects.raw(statement.sql, statement.params_for(user_id)))
    if not users:
        return None
    user = users[0]
    names = [_ANNOTATION.format(method.slug) for method in all_methods()]
    _keep(user, {name: getattr(user, name) for name in names if hasattr(user, name)})
    return user


def read(user: User) -> None:
    """Reads what ``user`` (already loaded) has enrolled, in one query, unless known."""
    if getattr(user, ENROLLED_ATTRIBUTE, None) is not None:
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
