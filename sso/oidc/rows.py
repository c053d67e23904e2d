"""The code exchange's rows in one SQL statement per step, the statements built once per process.

An authorization code costs two writes at the authorize step (the grant and its sign-in
context) and, at the token endpoint, a read of the grant with its user, application and
sign-in context, then the grant's deletion and three inserts (ID, access and refresh token).
Through the ORM each of these is compiled anew per request (a three-table select alone is about
a millisecond of Python) and the token endpoint's writes take a transaction of their own.

Here each step is one PostgreSQL statement whose text is built from the models' metadata the
first time it is needed: the authorize step inserts both rows in one statement; the token
endpoint reads everything in one select, and deletes the grant and inserts the three tokens in
one statement whose inserts take their rows *from the deletion*: when the code is gone (used, or
being used by a concurrent exchange that holds the row lock) nothing is inserted and the caller
answers ``invalid_grant`` (RFC 6749 §4.1.2). One statement is one transaction in autocommit.

The values are those ``Model.save()`` would write (each field's ``pre_save`` and
``get_db_prep_save``: ``auto_now`` times, DOT's token checksums, JSON), and the instances get
their primary keys. ``save()``'s signals are not sent: ``available()`` is false while anything
listens to them for these models, and on any database but PostgreSQL (data-modifying ``WITH``),
and callers then take the ORM's way.

Only names from the models' metadata (quoted) go into the SQL text; every value is a parameter.

Each function takes the connection object once (``_db``) and hands that to Django's field
methods: ``django.db.connection`` is a proxy that looks the connection up in a context-local
store at every attribute read, and preparing and converting one exchange's values reads it
a few hundred times.
"""

import re
from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

_SIGNALS = (pre_save, post_save, pre_delete, post_delete)


@dataclass(frozen=True)
class _Insert:
    """``INSERT … SELECT`` of one model's row; ``fields`` are the ones taken as parameters, in
    order (the others are linked to an earlier row of the statement)."""

    model: type[Model]
    fields: tuple[Field, ...]
    sql: str


def _cast(field: Field) -> str:
    """The parameter's type without a length: a cast to ``varchar(64)`` would cut a longer
    value, where the insert itself refuses it."""
    return re.sub(r"\(.*\)$", "", field.cast_db_type(connection))


def _insert(model: type[Model], source: str | None = None, links: dict | None = None) -> _Insert:
    """An insert of ``model`` taking its values as parameters, or ``links`` (attname → SQL) from
    the CTE ``source`` (no row there: nothing inserted)."""
    links = links or {}
    qn = connection.ops.quote_name
    columns, values, fields = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(qn(field.column))
        if field.attname in links:
            values.append(links[field.attname])
        else:
            values.append(f"%s::{_cast(field)}")
            fields.append(field)
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)}{f' FROM {source}' if source else ''} "
        f"RETURNING {qn(model._meta.pk.column)}"
    )
    return _Insert(model, tuple(fields), sql)


def _db():
    """The default database's connection itself (what the ``connection`` proxy stands for)."""
    return connections[DEFAULT_DB_ALIAS]


def _values(insert: _Insert, instance: Model, db) -> list:
    """What ``save()`` would send for ``instance``'s fields of ``insert`` (new row)."""
    return [f.get_db_prep_save(f.pre_save(instance, True), db) for f in insert.fields]


def _saved(instance: Model, pk: int, db) -> None:
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = db.alias


def available(*models: type[Model]) -> bool:
    """Whether these statements may stand in for ``save()`` and ``delete()``: PostgreSQL, and
    no signal of theirs is heard for ``models``."""
    if connection.vendor != "postgresql":
        return False
    return not any(signal.has_listeners(m) for signal in _SIGNALS for m in models)


# --- Authorize: the grant and its sign-in context ------------------------------------------


@cache
def _code_statement(grant_model: type[Model], context_model: type[Model]):
    grant, context = _insert(grant_model), _insert(context_model)
    sql = f"WITH g AS ({grant.sql}), c AS ({context.sql}) SELECT g.id, c.id FROM g, c"  # noqa: S608
    return grant, context, sql


def insert_code(grant: Model, context: Model) -> None:
    """Saves a new grant and its sign-in context in one statement (both or neither)."""
    grant_insert, context_insert, sql = _code_statement(type(grant), type(context))
    db = _db()
    with db.cursor() as cursor:
        cursor.execute(sql, _values(grant_insert, grant, db) + _values(context_insert, context, db))
        grant_pk, context_pk = cursor.fetchone()
    _saved(grant, grant_pk, db)
    _saved(context, context_pk, db)


# --- Token: the code's grant, read with what the exchange needs ------------------------------


@dataclass(frozen=True)
class _Select:
    sql: str
    parts: tuple  # (model, fields, converters per field, the pk's index) in column order


@cache
def _read_statement(grant_model: type[Model], context_model: type[Model]) -> _Select:
    qn = connection.ops.quote_name
    user_field = grant_model._meta.get_field("user")
    app_field = grant_model._meta.get_field("application")
    tables = (
        ("g", grant_model),
        ("u", user_field.related_model),
        ("a", app_field.related_model),
        ("c", context_model),
    )
    columns, parts = [], []
    for alias, model in tables:
        fields = model._meta.concrete_fields
        columns += [f"{alias}.{qn(f.column)}" for f in fields]
        # What the ORM applies to each column (JSON text → Python), with the column it reads.
        converters = tuple(
            tuple((c, f.get_col(model._meta.db_table)) for c in f.get_db_converters(connection))
            for f in fields
        )
        parts.append((model, fields, converters, fields.index(model._meta.pk)))
    pk = qn("id")
    sql = (
        f"SELECT {', '.join(columns)} FROM {qn(grant_model._meta.db_table)} g"  # noqa: S608
        f" LEFT JOIN {qn(user_field.related_model._meta.db_table)} u"
        f" ON u.{pk} = g.{qn(user_field.column)}"
        f" JOIN {qn(app_field.related_model._meta.db_table)} a"
        f" ON a.{pk} = g.{qn(app_field.column)}"
        f" LEFT JOIN {qn(context_model._meta.db_table)} c ON c.{qn('code_hash')} = %s"
        f" AND c.{qn('application_id')} = g.{qn(app_field.column)}"
        f" WHERE g.{qn('code')} = %s"
    )
    return _Select(sql, tuple(parts))


def _instances(select: _Select, row: tuple, db) -> list[Model | None]:
    """One instance per table of ``row`` (None for a left join that found nothing)."""
    found, start = [], 0
    for model, fields, converters, pk_index in select.parts:
        values = list(row[start : start + len(fields)])
        start += len(fields)
        if values[pk_index] is None:
            found.append(None)
            continue
        for i, functions in enumerate(converters):
            for convert, column in functions:
                values[i] = convert(values[i], column, db)
        found.append(model.from_db(db.alias, None, values))
    return found


def read_code(grant_model: type[Model], context_model: type[Model], code: str, code_hash: str):
    """``(grant, context)`` of ``code``: the grant with its user and application attached,
    and the sign-in context recorded for it (by the code's hash, same application); each None
    when there is none."""
    select = _read_statement(grant_model, context_model)
    db = _db()
    with db.cursor() as cursor:
        cursor.execute(select.sql, [code_hash, code])
        row = cursor.fetchone()
    if row is None:
        return None, None
    grant, user, application, context = _instances(select, row, db)
    grant_model._meta.get_field("user").set_cached_value(grant, user)
    grant_model._meta.get_field("application").set_cached_value(grant, application)
    return grant, context


# --- Authorize: the client's row -------------------------------------------------------------


@cache
def _row_statement(model: type[Model], column: str) -> _Select:
    qn = connection.ops.quote_name
    fields = model._meta.concrete_fields
    converters = tuple(
        tuple((c, f.get_col(model._meta.db_table)) for c in f.get_db_converters(connection))
        for f in fields
    )
    sql = (
        f"SELECT {', '.join(qn(f.column) for f in fields)}"  # noqa: S608
        f" FROM {qn(model._meta.db_table)}"
        f" WHERE {qn(model._meta.get_field(column).column)} = %s"
    )
    return _Select(sql, ((model, fields, converters, fields.index(model._meta.pk)),))


def read_row(model: type[Model], column: str, value: str) -> Model | None:
    """The row of ``model`` whose unique ``column`` is ``value``, or None: what
    ``model.objects.get(column=value)`` reads, from a statement built once per process (the
    ORM compiles its query anew each time). The row itself is read every time."""
    select = _row_statement(model, column)
    db = _db()
    with db.cursor() as cursor:
        cursor.execute(select.sql, [value])
        row = cursor.fetchone()
    return None if row is None else _instances(select, row, db)[0]


# --- Token: the code's end and its three tokens ----------------------------------------------


@cache
def _exchange_statement(grant_model, id_token_model, access_model, refresh_model):
    qn = connection.ops.quote_name
    grant_table = qn(grant_model._meta.db_table)
    app_column = qn(grant_model._meta.get_field("application").column)
    id_token = _insert(id_token_model, "used")
    access = _insert(access_model, "idt", {"id_token_id": "idt.id"})
    refresh = _insert(refresh_model, "acc", {"access_token_id": "acc.id"})
    sql = (
        f"WITH used AS (DELETE FROM {grant_table} WHERE {qn('code')} = %s"  # noqa: S608
        f" AND {app_column} = %s"
        f" RETURNING 1), idt AS ({id_token.sql}), acc AS ({access.sql}), ref AS ({refresh.sql})"
        " SELECT idt.id, acc.id, ref.id FROM idt, acc, ref"
    )
    return id_token, access, refresh, sql


def exchange_code(code: str, grant_model, id_token: Model, access: Model, refresh: Model) -> bool:
    """Deletes the grant of ``code`` for the access token's application and saves the three
    tokens, in one statement; False (nothing saved) when there was no such grant to delete.

    ``access.id_token`` and ``refresh.access_token`` are the other two instances."""
    id_insert, access_insert, refresh_insert, sql = _exchange_statement(
        grant_model, type(id_token), type(access), type(refresh)
    )
    db = _db()
    params = [code, access.application_id]
    params += _values(id_insert, id_token, db) + _values(access_insert, access, db)
    params += _values(refresh_insert, refresh, db)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    for instance, pk in zip((id_token, access, refresh), row, strict=True):
        _saved(instance, pk, db)
    access.id_token_id, refresh.access_token_id = id_token.pk, access.pk
    return True
