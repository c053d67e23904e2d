"""SCIM filters (RFC 7644 §3.4.2.2) as Django queries, with scim2-filter-parser.

django-scim2 calls ``search(filter, request)`` on the class named by ``USER_FILTER_PARSER`` /
``GROUP_FILTER_PARSER``. The library's default builds raw SQL; these build a Django ``Q`` with
the same parser's Django transpiler, so that the result is an ordinary queryset (counted and
paged by the database). An attribute the portal does not keep is an ``invalidFilter`` error
rather than being dropped (which would match everything).
"""

from django.conf import settings
from django.contrib.auth.models import Group as DjangoGroup
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser, SCIMParserError
from scim2_filter_parser.transpilers import django_q_object
from scim2_models import InvalidFilterException

from accounts.models import User
from accounts.usernames import canonical_username

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:user"


def _canonicalised(query: Q) -> Q:
    """userName is compared in its canonical form (accounts.usernames), as at sign-in."""
    for index, child in enumerate(query.children):
        if isinstance(child, Q):
            _canonicalised(child)
        elif child[0].startswith("username_canonical__") and isinstance(child[1], str):
            query.children[index] = (child[0], canonical_username(child[1]))
    return query


class _StrictTranspiler(django_q_object.Transpiler):
    def visit_AttrExpr(self, node):  # type: ignore[no-untyped-def]
        query = super().visit_AttrExpr(node)
        return _canonicalised(query) if isinstance(query, Q) else query

    def visit_AttrPath(self, node):  # type: ignore[no-untyped-def]
        mapped = super().visit_AttrPath(node)
        if mapped is None:
            name = node.attr_name if isinstance(node.attr_name, str) else "?"
            raise InvalidFilterException(detail=f"The filter names an unknown attribute: {name}")
        return mapped


def _depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]":
            depth -= 1
    return deepest


class _FilterQuery:
    model: type[Model]
    attr_map: dict[tuple[str, str | None, str | None], str]

    @classmethod
    def search(cls, filter_query: str, request: HttpRequest | None = None) -> QuerySet:
        """The rows matching ``filter_query``; InvalidFilterException for a filter that is too
        long, too deeply nested, malformed, holds a NUL (no database compares with one) or
        names an attribute the portal does not keep."""
        if len(filter_query) > settings.PROVISIONING_MAX_FILTER_LENGTH:
            raise InvalidFilterException(detail="The filter is too long.")
        if "\x00" in filter_query:
            raise InvalidFilterException(detail="The filter holds a NUL character.")
        if _depth(filter_query) > settings.PROVISIONING_MAX_FILTER_DEPTH:
            raise InvalidFilterException(detail="The filter is nested too deeply.")
        try:
            tokens = SCIMLexer().tokenize(filter_query)
            tree = SCIMParser().parse(tokens)
            query = _StrictTranspiler(cls.attr_map).transpile(tree)
        except InvalidFilterException:
            raise
        except (
            SCIMParserError,
            ValueError,
            TypeError,
            AttributeError,
            NotImplementedError,
            RecursionError,
        ) as exc:
            raise InvalidFilterException(detail=f"The filter could not be read: {exc}") from None
        queryset = cls.model.objects.all()
        try:
            return queryset.filter(query) if query is not None else queryset
        except (ValidationError, ValueError, TypeError) as exc:
            raise InvalidFilterException(
                detail=f"A value in the filter is not valid: {exc}"
            ) from None


def _both(attr: str, sub: str | None, column: str, uri: str) -> dict:
    """An attribute reachable with or without its schema URN (RFC 7644 §3.10)."""
    return {(attr, sub, None): column, (attr, sub, uri): column}


class UserFilterQuery(_FilterQuery):
    model = User
    attr_map = {
        **_both("id", None, "scim__scim_id", CORE_USER),
        **_both("userName", None, "username_canonical", CORE_USER),
        **_both("externalId", None, "scim__external_id", CORE_USER),
        **_both("displayName", None, "full_name", CORE_USER),
        **_both("active", None, "is_active", CORE_USER),
        **_both("emails", None, "email", CORE_USER),
        **_both("emails", "value", "email", CORE_USER),
        **_both("name", "givenName", "scim__given_name", CORE_USER),
        **_both("name", "familyName", "scim__family_name", CORE_USER),
        **_both("name", "formatted", "scim__formatted_name", CORE_USER),
        **_both("meta", "lastModified", "scim__modified_at", CORE_USER),
        **_both("meta", "created", "scim__created_at", CORE_USER),
        ("employeeNumber", None, ENTERPRISE): "scim__employee_number",
        ("department", None, ENTERPRISE): "scim__department",
    }


class GroupFilterQuery(_FilterQuery):
    model = DjangoGroup
    attr_map = {
        ("id", None, None): "scim__scim_id",
        ("displayName", None, None): "name",
        ("externalId", None, None): "scim__external_id",
        ("members", None, None): "user__scim__scim_id",
        ("members", "value", None): "user__scim__scim_id",
        ("meta", "lastModified", None): "scim__modified_at",
        ("meta", "created", None): "scim__created_at",
    }
