"""/scim/v2/ endpoints: django-scim2's views, with the parts the portal needs on top.

On top of the library: errors from scim2-models and from request bodies become RFC 7644 §3.12
responses (never a 500); lists and filters stay querysets (counted and paged by the database,
``count`` capped by PROVISIONING_MAX_RESULTS); ETags (RFC 7644 §3.14) with ``If-Match`` on
writes and ``If-None-Match`` on reads; ``/.search`` honours the body's ``attributes``,
``startIndex`` and ``count``; discovery lists carry ``totalResults``.
"""

import json
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django_scim import views as library
from pydantic import ValidationError
from scim2_models import (
    Context,
    InvalidSyntaxException,
    InvalidValueException,
    PreconditionFailedException,
    SCIMException,
    SearchRequest,
)

from accounts.provisioning import flows
from accounts.provisioning.errors import SCIM_CONTENT_TYPE, ScimError, error_response

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _json(document: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(document), status=status, content_type=SCIM_CONTENT_TYPE)


class _Errors:
    """Every handler's scim2-models exception or bad body becomes a SCIM error."""

    def _guarded(self, handler: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return handler(request, *args, **kwargs)
        except (SCIMException, ValidationError) as exc:
            raise ScimError.from_exception(exc) from None

    def load_body(self, body: bytes) -> dict[str, Any]:
        try:
            document = json.loads(body.decode("utf-8").strip() or "{}")
        except (UnicodeDecodeError, ValueError):
            raise ScimError.from_exception(
                InvalidSyntaxException(detail="The request body is not valid JSON.")
            ) from None
        if not isinstance(document, dict):
            raise ScimError.from_exception(
                InvalidSyntaxException(detail="The request body must be a JSON object.")
            )
        if not _storable(document):
            # JSON can carry "\u0000" and a lone "\ud800"; no database column stores either.
            raise ScimError.from_exception(
                InvalidValueException(
                    detail="A value holds a NUL character or an unpaired surrogate."
                )
            )
        return document


def _storable(value: object) -> bool:
    """Whether every string of ``value`` (a parsed JSON document, its keys too) can be stored:
    no NUL character, and UTF-8 (no unpaired surrogate)."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_storable(key) and _storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


class _Resources(_Errors):
    """Users and Groups: lookup by SCIM id, paging, filters, ETags."""

    finder: Any

    def get_object(self) -> Any:
        try:
            return self.__class__.finder(self.kwargs.get("uuid") or "")
        except SCIMException as exc:
            raise ScimError.from_exception(exc) from None

    def _page(self, request: HttpRequest) -> tuple[int, int]:
        params = getattr(request, "scim_page", None) or request.GET
        try:
            start = int(params.get("startIndex") or 1)
            count = int(params.get("count") if params.get("count") is not None else 50)
        except (TypeError, ValueError):
            raise ScimError.from_exception(
                InvalidValueException(detail="startIndex and count must be integers.")
            ) from None
        # RFC 7644 §3.4.2.4: a startIndex below 1 is read as 1, a negative count as 0.
        return max(start, 1), min(max(count, 0), settings.PROVISIONING_MAX_RESULTS)

    def _search(self, request: HttpRequest, query: str, start: int, count: int) -> HttpResponse:
        flows.ensure_rows()
        try:
            queryset = self.__class__.parser_getter().search(query, request)
        except SCIMException as exc:
            raise ScimError.from_exception(exc) from None
        return self._build_response(request, queryset.distinct().order_by("pk"), start, count)

    def get_many(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("filter")
        if query:
            return self._search(request, query, *self._page(request))
        flows.ensure_rows()
        # Oldest first, so that pages stay stable while new resources arrive.
        queryset = self.model_cls.objects.order_by("pk")
        return self._build_response(request, queryset, *self._page(request))

    def _build_response(
        self, request: HttpRequest, qs: QuerySet, start: int, count: int
    ) -> HttpResponse:
        total = qs.count()
        page = list(qs[start - 1 : start - 1 + count]) if count else []
        resources = [self.scim_adapter(obj, request=request).to_dict() for obj in page]
        return _json(
            {
                "schemas": [LIST_RESPONSE],
                "totalResults": total,
                "itemsPerPage": len(resources),
                "startIndex": start,
                "Resources": resources,
            }
        )

    # --- ETags (RFC 7644 §3.14) -----------------------------------------------------------

    def _current_etag(self) -> str:
        return self.scim_adapter(self.get_object(), request=self.request).etag

    def _check_if_match(self, request: HttpRequest) -> None:
        wanted = request.headers.get("If-Match")
        if not wanted:
            return
        tags = {tag.strip() for tag in wanted.split(",")}
        if "*" not in tags and self._current_etag() not in tags:
            raise ScimError.from_exception(
                PreconditionFailedException(detail="The resource changed since it was read.")
            )

    def _with_etag(self, response: HttpResponse) -> HttpResponse:
        if response.status_code in (200, 201):
            version = (json.loads(response.content).get("meta") or {}).get("version")
            if version:
                response["ETag"] = version
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if kwargs.get("uuid"):
            adapter = self.scim_adapter(self.get_object(), request=request)
            etag = adapter.etag
            wanted = request.headers.get("If-None-Match", "")
            if etag in {tag.strip() for tag in wanted.split(",")}:
                response = HttpResponse(status=304)
                response["ETag"] = etag
                return response
        return self._with_etag(self._guarded(super().get, request, *args, **kwargs))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if kwargs.get("uuid"):
            return self.http_method_not_allowed(request)
        return self._with_etag(self._guarded(super().post, request, *args, **kwargs))

    def put(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not kwargs.get("uuid"):
            return self.http_method_not_allowed(request)
        self._check_if_match(request)
        return self._with_etag(self._guarded(super().put, request, *args, **kwargs))

    def patch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not kwargs.get("uuid"):
            return self.http_method_not_allowed(request)
        self._check_if_match(request)
        body = self.load_body(request.body)
        if PATCH_OP_SCHEMA not in (body.get("schemas") or []):
            raise ScimError.from_exception(
                InvalidSyntaxException(detail=f"A PATCH body has the schema {PATCH_OP_SCHEMA}.")
            )
        return self._with_etag(self._guarded(super().patch, request, *args, **kwargs))

    def delete(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not kwargs.get("uuid"):
            return self.http_method_not_allowed(request)
        self._check_if_match(request)
        return self._guarded(super().delete, request, *args, **kwargs)


class UsersView(_Resources, library.UsersView):
    finder = staticmethod(flows.find_user)


class GroupsView(_Resources, library.GroupsView):
    finder = staticmethod(flows.find_group)


class _Search(_Resources):
    """POST ``/Users/.search`` and ``/Groups/.search`` (RFC 7644 §3.4.3)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        body = self.load_body(request.body)
        try:
            search = SearchRequest.model_validate(body, scim_ctx=Context.SEARCH_REQUEST)
        except (ValidationError, SCIMException) as exc:
            raise ScimError.from_exception(exc) from None
        request.scim_response_parameters = {  # type: ignore[attr-defined]
            "attributes": [str(a) for a in search.attributes or []],
            "excludedAttributes": [str(a) for a in search.excluded_attributes or []],
        }
        request.scim_page = {"startIndex": search.start_index, "count": search.count}  # type: ignore[attr-defined]
        start, count = self._page(request)
        if search.filter:
            return self._search(request, str(search.filter), start, count)
        flows.ensure_rows()
        queryset = self.__class__.parser_getter().model.objects.all().order_by("pk")
        return self._build_response(request, queryset, start, count)


class UserSearchView(_Search, library.UserSearchView):
    pass


class GroupSearchView(_Search, library.GroupSearchView):
    pass


class ServiceProviderConfigView(_Errors, library.ServiceProviderConfigView):
    pass


def _listed(resources: list[dict[str, Any]]) -> HttpResponse:
    return _json(
        {
            "schemas": [LIST_RESPONSE],
            "totalResults": len(resources),
            "itemsPerPage": len(resources),
            "startIndex": 1,
            "Resources": resources,
        }
    )


class ResourceTypesView(_Errors, library.ResourceTypesView):
    def get(self, request: HttpRequest, uuid: str | None = None, *args: Any, **kwargs: Any):
        if uuid:
            return super().get(request, uuid, *args, **kwargs)
        types = self.type_dict_by_type_id(request)
        return _listed([types[key] for key in sorted(types)])


class SchemasView(_Errors, library.SchemasView):
    def get(self, request: HttpRequest, uuid: str | None = None, *args: Any, **kwargs: Any):
        if uuid:
            return super().get(request, uuid, *args, **kwargs)
        return _listed([self.schemas_by_uri[key] for key in sorted(self.schemas_by_uri)])


def unknown_endpoint(request: HttpRequest) -> HttpResponse:
    """A path under /scim/v2/ that names no endpoint (RFC 7644 §3.12: 404)."""
    return error_response(404, "No such SCIM endpoint.")
