"""A hot path's SELECT built by the ORM once per process, then run with a new value each time.

The ORM takes longer to build a small query (0.5 to 1.5 ms of CPU: the compiler, the joins,
the annotations) than PostgreSQL takes to run it, and the sign-in steps ask the same few
questions for every person. The queryset is built with a stand-in value that no real one can
equal; its compiled SQL and parameters are kept, and each run puts the real value where the
stand-in was. Where the backend converts a column it returns (SQLite's booleans and dates),
or the stand-in cannot be told from another parameter, nothing is kept and the caller lets
the ORM build the query each time, as before.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet


@dataclass(frozen=True)
class CompiledSelect:
    """A SELECT compiled once: ``params`` hold the stand-in at ``at``; ``columns`` name what a
    row holds, in order (for ``Model.from_db``)."""

    sql: str
    params: tuple
    at: int
    columns: tuple[str, ...]

    def params_for(self, value: object) -> list:
        """The statement's parameters with ``value`` in place of the stand-in."""
        params = list(self.params)
        params[self.at] = value
        return params

    def row(self, value: object) -> tuple | None:
        """The first row of the statement run for ``value``, or None (raises what the database
        driver raises)."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params_for(value))
            return cursor.fetchone()


def compile_select(queryset: QuerySet, stand_in: object) -> CompiledSelect | None:
    """``queryset`` (built with ``stand_in`` as its one varying value) compiled for the default
    database, or None when it cannot be kept (see the module's docstring). ``columns`` are the
    queryset's ``values``/``values_list`` fields, its annotations after them."""
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    if list(params).count(stand_in) != 1:
        return None
    if compiler.get_converters([column for column, _, _ in compiler.select]):
        return None
    query = queryset.query
    columns = (*query.values_select, *query.annotation_select)
    return CompiledSelect(sql, tuple(params), list(params).index(stand_in), columns)
