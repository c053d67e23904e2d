"""django-scim2 adapters for portal users and Django groups.

django-scim2's views call an adapter to turn a row into a SCIM document (``to_dict``), to read
a request body (``validate_dict``/``from_dict``/``save``), to apply PATCH operations
(``handle_operations``) and to delete (``delete``). These adapters do each through scim2-models
(validation in the request context of RFC 7644 §3.2, PATCH semantics of §3.5.2, attribute
selection of §3.4.2.5) and ``provisioning.flows`` (the portal's rules).
"""

from typing import Any

from django.http import HttpRequest
from django_scim.adapters import SCIMGroup, SCIMUser
from pydantic import ValidationError
from scim2_models import (
    Context,
    InvalidSyntaxException,
    InvalidValueException,
    PatchOp,
    ResponseParameters,
    SCIMException,
)

from accounts.provisioning import flows
from accounts.provisioning.errors import ScimError
from accounts.provisioning.resources import (
    ENTERPRISE_SCHEMA,
    GroupResource,
    UserResource,
    group_resource,
    group_row,
    user_resource,
    user_row,
)

PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def base_location(request: HttpRequest | None = None, *args: object, **kwargs: object) -> str:
    """django-scim2's ``BASE_LOCATION_GETTER``: the portal's own origin, from the request."""
    if request is None:
        return ""
    return request.build_absolute_uri("/").rstrip("/")


def _attribute_lists(request: HttpRequest | None) -> tuple[list[str] | None, list[str] | None]:
    """``attributes`` and ``excludedAttributes`` (RFC 7644 §3.4.2.5) of a GET or of a search."""
    if request is None:
        return None, None
    params = getattr(request, "scim_response_parameters", None)
    if params is None:
        params = {
            "attributes": request.GET.get("attributes"),
            "excludedAttributes": request.GET.get("excludedAttributes"),
        }
    lists = []
    for key in ("attributes", "excludedAttributes"):
        value = params.get(key)
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        lists.append([str(v) for v in value] if value else None)
    return lists[0], lists[1]


class _Adapter:
    """What users and groups share: the scim2-models document and the write path."""

    model_class: type
    request: HttpRequest

    def _build(self) -> Any:
        raise NotImplementedError

    def resource(self) -> Any:
        """The scim2-models document of the row, built once per adapter and write."""
        if getattr(self, "_resource", None) is None:
            self._resource = self._build()
        return self._resource

    @property
    def location(self) -> str:
        return str(self.resource().meta.location)

    @property
    def etag(self) -> str:
        return str(self.resource().meta.version)

    def to_dict(self) -> dict[str, Any]:
        attributes, excluded = _attribute_lists(self._request)
        try:
            parameters = ResponseParameters.model_validate(
                {"attributes": attributes, "excludedAttributes": excluded}
            )
            return self.resource().model_dump(
                scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters
            )
        except (SCIMException, ValidationError, ValueError) as exc:
            raise ScimError.from_exception(
                exc if isinstance(exc, SCIMException | ValidationError) else _bad_value(exc)
            ) from None

    def validate_dict(self, d: dict[str, Any]) -> None:
        schemas = d.get("schemas")
        core = self.model_class.__schema__
        if not isinstance(schemas, list) or str(core) not in schemas:
            raise ScimError.from_exception(
                InvalidSyntaxException(detail=f"The body's schemas must include {core}.")
            )
        if "active" in d and not isinstance(d["active"], bool):
            # pydantic would read "yes" as true; RFC 7643 §4.1.1 makes it a JSON boolean.
            raise ScimError.from_exception(InvalidValueException(detail="active is a boolean."))
        context = (
            Context.RESOURCE_CREATION_REQUEST
            if self.obj.pk is None
            else Context.RESOURCE_REPLACEMENT_REQUEST
        )
        try:
            self._parsed = self.model_class.model_validate(d, scim_ctx=context)
        except (ValidationError, SCIMException) as exc:
            raise ScimError.from_exception(exc) from None

    def from_dict(self, d: dict[str, Any]) -> None:
        """Nothing to do: ``validate_dict`` kept the parsed resource for ``save``."""

    def _client(self) -> Any:
        return getattr(self._request, "scim_client", None)

    def handle_operations(self, operations: list[Any]) -> None:
        """PATCH (RFC 7644 §3.5.2) applied by scim2-models to the current document, whose
        result is then written like a PUT."""
        try:
            patch = PatchOp[self.model_class].model_validate(
                {"schemas": [PATCH_OP_SCHEMA], "Operations": operations},
                scim_ctx=Context.RESOURCE_PATCH_REQUEST,
            )
            current = self._build()
            patch.patch(current)
        except (ValidationError, SCIMException) as exc:
            raise ScimError.from_exception(exc) from None
        self._parsed = current
        self.save()


def _bad_value(exc: Exception) -> SCIMException:
    return InvalidValueException(detail=str(exc))


class UserAdapter(_Adapter, SCIMUser):
    """A portal user as a SCIM User with the enterprise extension."""

    id_field = "scim__scim_id"
    model_class = UserResource

    @property
    def id(self) -> str:
        return str(user_row(self.obj).scim_id)

    @property
    def display_name(self) -> str:
        return self.obj.full_name or self.obj.username

    def _build(self) -> UserResource:
        return user_resource(self.obj, base_location(self._request))

    def save(self) -> None:
        try:
            if self.obj.pk is None:
                self.obj = flows.create_user(self._parsed, self._client(), self._request)
            else:
                self.obj = flows.replace_user(self.obj, self._parsed, self._client(), self._request)
        except SCIMException as exc:
            raise ScimError.from_exception(exc) from None
        self._resource = None
        self._request.scim_user = self.obj  # type: ignore[attr-defined]

    def delete(self) -> None:
        try:
            flows.delete_user(self.obj, self._client(), self._request)
        except SCIMException as exc:
            raise ScimError.from_exception(exc) from None

    @classmethod
    def resource_type_dict(cls, request: HttpRequest | None = None) -> dict[str, Any]:
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
            "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": False}],
            "meta": {
                "location": base_location(request) + "/scim/v2/ResourceTypes/User",
                "resourceType": "ResourceType",
            },
        }


class GroupAdapter(_Adapter, SCIMGroup):
    """A Django group as a SCIM Group whose members are users."""

    id_field = "scim__scim_id"
    model_class = GroupResource

    @property
    def id(self) -> str:
        return str(group_row(self.obj).scim_id)

    @property
    def display_name(self) -> str:
        return self.obj.name

    def _build(self) -> GroupResource:
        return group_resource(self.obj, base_location(self._request))

    def save(self) -> None:
        try:
            if self.obj.pk is None:
                self.obj = flows.create_group(self._parsed)
            else:
                self.obj = flows.replace_group(self.obj, self._parsed)
        except SCIMException as exc:
            raise ScimError.from_exception(exc) from None
        self._resource = None

    def delete(self) -> None:
        try:
            flows.delete_group(self.obj)
        except SCIMException as exc:
            raise ScimError.from_exception(exc) from None

    @classmethod
    def resource_type_dict(cls, request: HttpRequest | None = None) -> dict[str, Any]:
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Group",
            "schema": "urn:ietf:params:scim:schemas:core:2.0:Group",
            "meta": {
                "location": base_location(request) + "/scim/v2/ResourceTypes/Group",
                "resourceType": "ResourceType",
            },
        }
