"""New rows written with SQL built once per process, not by the ORM at each call.

A sign-in writes a handful of small rows (audit events, the user-session row, the known and
the trusted device). ``Model.save`` and ``bulk_create`` build their INSERT anew each time:
about 0.3 ms of CPU per row on the bench machine, more than PostgreSQL takes to run it. Here
the statement for a model and a number of rows is built once (``_insert_sql``) and each row's
values go through the fields' own ``pre_save`` and ``get_db_prep_save``, as the ORM would
prepare them. No ``pre_save``/``post_save`` signal is sent (as with ``bulk_create``): the
models written here have no receivers.

On PostgreSQL, rows of several models are written in one statement (``insert_together``):
each table's INSERT is a data-modifying ``WITH`` query of the last one (PostgreSQL docs,
"Data-Modifying Statements in WITH"), so a sign-in's completion is one round trip. Other
databases get one INSERT per model. An UPDATE of a saved row's columns (``update``: the
signed-in user's ``last_login``) joins the statement the same way, and so does a one-value
read of what the tables held before these writes (``ask``: whether the account knew any
browser before this one), as the statement's main query.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.db.models import SET_NULL, Field, Model
from django.http import HttpRequest


@cache
def _fields(model: type[Model]) -> tuple[Field, ...]:
    """The columns an INSERT names: every concrete field but an automatic primary key."""
    meta = model._meta
    return tuple(f for f in meta.concrete_fields if not (f.primary_key and f.db_returning))


def _value(field: Field, cast: str = "") -> str:
    """The SQL of ``field``'s value in an INSERT: its parameter (``%s``, followed by ``cast``),
    or, for a reference that a deletion sets to NULL (``on_delete=SET_NULL``: an audit event's
    account and actor), a read of the referenced row's key, NULL when it is gone.

    A row written after its reference was deleted (an account deleted while its password was
    being checked) is so kept as one written before the deletion is: without the reference.
    The value itself would fail the foreign key at the INSERT (a 500)."""
    remote = field.remote_field
    if remote is None or remote.on_delete is not SET_NULL:
        return f"%s{cast}"
    quote = connection.ops.quote_name
    target = remote.model._meta
    key = quote(remote.get_related_field().column)
    return f"(SELECT {key} FROM {quote(target.db_table)} WHERE {key} = %s{cast})"  # noqa: S608


@cache
def _insert_sql(model: type[Model], rows: int, vendor: str) -> str:
    """``INSERT INTO table (columns) VALUES (...), ...`` for ``rows`` rows."""
    quote = connection.ops.quote_name
    fields = _fields(model)
    columns = ", ".join(quote(f.column) for f in fields)
    one = "(" + ", ".join(_value(f) for f in fields) + ")"
    # Names from the model's metadata, quoted; every value is a parameter.
    table = quote(model._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([one] * rows)  # noqa: S608


def _params(rows: Sequence[Model]) -> list:
    """Each row's values as the ORM prepares them for an insert (defaults are already set on
    the instance; ``pre_save`` fills automatic times)."""
    params = []
    for row in rows:
        for field in _fields(type(row)):
            params.append(field.get_db_prep_save(field.pre_save(row, True), connection))
    return params


def _grouped(rows: Sequence[Model]) -> list[list[Model]]:
    """The rows by model, in the order each model first appears."""
    groups: dict[type[Model], list[Model]] = {}
    for row in rows:
        groups.setdefault(type(row), []).append(row)
    return list(groups.values())


@cache
def _insert_if_sql(model: type[Model], vendor: str) -> str:
    """``INSERT INTO table (columns) SELECT %s::type, ...`` of one row, each value cast to its
    column's type (the parameters of a SELECT have no type of their own to take)."""
    quote = connection.ops.quote_name
    fields = _fields(model)
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(_value(f, f"::{f.db_type(connection)}") for f in fields)
    # Names and types from the model's metadata; every value is a parameter.
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT {values}"


def insert_if(row: Model, condition: str) -> tuple[str, list]:
    """The SQL and parameters of an INSERT of the new ``row`` made only when ``condition`` holds
    (SQL without parameters, such as ``EXISTS (SELECT 1 FROM w)`` on another ``WITH`` query
    of the same statement): a data-modifying ``WITH`` query for a PostgreSQL statement that
    writes the row only if its other change was made. Values prepared as ``insert``'s."""
    return f"{_insert_if_sql(type(row), connection.vendor)} WHERE {condition}", _params([row])


def insert(rows: Sequence[Model]) -> None:
    """Writes new rows of one model in one INSERT; their primary keys are not read back."""
    if rows:
        insert_together(rows)


@dataclass(frozen=True)
class _Update:
    """An UPDATE of some columns of one saved row: SQL built once, and its values."""

    sql: str
    params: list


@cache
def _update_sql(model: type[Model], columns: tuple[str, ...], vendor: str) -> str:
    """``UPDATE table SET column = %s, ... WHERE pk = %s``."""
    quote = connection.ops.quote_name
    meta = model._meta
    sets = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in columns)
    # Names from the model's metadata, quoted; every value is a parameter.
    return f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608


def _update_of(row: Model, fields: tuple[str, ...]) -> _Update:
    meta = type(row)._meta
    params = [
        meta.get_field(name).get_db_prep_save(getattr(row, name), connection) for name in fields
    ]
    return _Update(_update_sql(type(row), fields, connection.vendor), [*params, row.pk])


@dataclass(frozen=True)
class _Ask:
    """A read of one value (``sql``: a SELECT of at most one row of one column), answered to
    ``answer`` (the value, None without a row) once the writes it goes with are done."""

    sql: str
    params: list
    answer: Callable[[object], None]


def insert_together(
    rows: Sequence[Model], updates: Sequence[_Update] = (), asks: Sequence[_Ask] = ()
) -> None:
    """Writes new rows of any models, and ``updates``, in one statement on PostgreSQL (one
    per model and per update elsewhere). A failing row (a unique key taken) fails them all, as
    one statement does, and then no ask is answered.

    ``asks`` read the tables as they were before these writes, and are answered after them:
    on PostgreSQL they are the statement's main query, which sees none of its ``WITH``
    queries' changes (every part of a statement runs on the same snapshot: PostgreSQL docs,
    "Data-Modifying Statements in WITH"); elsewhere they run just before the writes.
    """
    statements = [
        (_insert_sql(type(g[0]), len(g), connection.vendor), _params(g)) for g in _grouped(rows)
    ]
    statements += [(update.sql, update.params) for update in updates]
    if not statements and not asks:
        return
    values: list[object] = []
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            for ask in asks:
                cursor.execute(ask.sql, ask.params)
                row = cursor.fetchone()
                values.append(None if row is None else row[0])
            for sql, params in statements:
                cursor.execute(sql, params)
        elif asks:
            # The writes all as WITH queries; the main query is the asks, each a scalar
            # subquery (its value, or NULL without a row).
            main = "SELECT " + ", ".join(f"({ask.sql})" for ask in asks)
            ctes = ", ".join(f"w{i} AS ({sql})" for i, (sql, _p) in enumerate(statements))
            params = [p for _sql, ps in statements for p in ps]
            params += [p for ask in asks for p in ask.params]
            cursor.execute(f"WITH {ctes} {main}" if ctes else main, params)
            values = list(cursor.fetchone())
        elif len(statements) == 1:
            cursor.execute(*statements[0])
        else:
            *first, (last_sql, last_params) = statements
            ctes = ", ".join(f"w{i} AS ({sql})" for i, (sql, _p) in enumerate(first))
            params = [p for _sql, ps in first for p in ps] + last_params
            cursor.execute(f"WITH {ctes} {last_sql}", params)
    for ask, value in zip(asks, values, strict=True):
        ask.answer(value)


# The rows of one request held back by ``together``, written in one statement at its end.
_BATCH_ATTRIBUTE = "_insert_batch"


def add(request: HttpRequest | None, row: Model) -> None:
    """Writes the new ``row`` now, or, inside ``together(request)``, when the block ends."""
    batch = getattr(request, _BATCH_ATTRIBUTE, None) if request is not None else None
    if batch is not None:
        batch.append(row)
    else:
        insert([row])


def update(request: HttpRequest | None, row: Model, fields: tuple[str, ...]) -> None:
    """Writes ``fields`` of the saved ``row`` (their values as the ORM prepares them) now, or,
    inside ``together(request)``, with the block's new rows. No signal is sent."""
    change = _update_of(row, fields)
    batch = getattr(request, _BATCH_ATTRIBUTE, None) if request is not None else None
    if batch is not None:
        batch.append(change)
    else:
        insert_together((), [change])


def ask(
    request: HttpRequest | None, sql: str, params: list, answer: Callable[[object], None]
) -> None:
    """Reads one value (``sql``: a SELECT of at most one row of one column) and gives it to
    ``answer`` (None without a row): now, or, inside ``together(request)``, in the block's one
    statement, where it reads the tables as they were before the block's writes. Ask before
    ``add``-ing a row the read must not see: outside a block that row is written at once."""
    question = _Ask(sql, params, answer)
    batch = getattr(request, _BATCH_ATTRIBUTE, None) if request is not None else None
    if batch is not None:
        batch.append(question)
    else:
        insert_together((), (), [question])


@dataclass(frozen=True)
class _Later:
    """A row built when its block ends well (``make``: the row, or None for none)."""

    make: Callable[[], Model | None]


def add_later(request: HttpRequest, make: Callable[[], Model | None]) -> bool:
    """Inside ``together(request)``: ``make`` builds a new row from the state of things when
    the block ends, if it ends without an exception, and the row is written with the block's
    others (a signed-in session's row, with the sign-in's: sso.sessions). Returns whether it
    was taken: outside a block nothing is built and the caller writes its row itself."""
    batch = getattr(request, _BATCH_ATTRIBUTE, None)
    if batch is None:
        return False
    batch.append(_Later(make))
    return True


@contextmanager
def together(request: HttpRequest) -> Iterator[None]:
    """The rows ``add``-ed (and the changes ``update``-d) for ``request`` inside the block are
    written as it ends, however it ends, in one statement (``insert_together``): a sign-in's
    completion writes its audit events, the user-session row, the known and trusted device
    and the user's ``last_login`` this way, and asks whether the account knew a browser
    before (``ask``, answered once the statement ran). Rows ``add_later``-ed are built as the
    block ends well (the signed-in session's row, with what the block put in the session).
    Nothing inside the block may read those rows back. Nested blocks write with the
    outermost."""
    if getattr(request, _BATCH_ATTRIBUTE, None) is not None:
        yield
        return
    batch: list[Model | _Update | _Ask | _Later] = []
    setattr(request, _BATCH_ATTRIBUTE, batch)
    ended_well = False
    try:
        yield
        ended_well = True
    finally:
        delattr(request, _BATCH_ATTRIBUTE)
        rows = [row for row in batch if isinstance(row, Model)]
        if ended_well:
            built = (later.make() for later in batch if isinstance(later, _Later))
            rows += [row for row in built if row is not None]
        insert_together(
            rows,
            [change for change in batch if isinstance(change, _Update)],
            [question for question in batch if isinstance(question, _Ask)],
        )
