"""SCIM error responses (RFC 7644 §3.12), written with scim2-models' ``Error``."""

import json

from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django_scim import exceptions as library_errors
from pydantic import ValidationError
from scim2_models import Error, SCIMException

SCIM_CONTENT_TYPE = "application/scim+json"


def error_response(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    """An RFC 7644 §3.12 error body with ``status`` as the HTTP status too."""
    body = Error(status=status, scim_type=scim_type or None, detail=detail).model_dump()
    response = HttpResponse(json.dumps(body), status=status, content_type=SCIM_CONTENT_TYPE)
    patch_cache_control(response, no_store=True)  # also outside the gate (an unknown path)
    return response


class ScimError(library_errors.SCIMException):
    """A scim2-models exception raised through django-scim2's views, which turn any
    ``django_scim.exceptions.SCIMException`` into a response with its status."""

    def __init__(self, error: Error) -> None:
        super().__init__(error.detail or "", status=error.status, scim_type=error.scim_type)
        self.error = error

    def to_dict(self) -> dict:
        return self.error.model_dump()

    @classmethod
    def from_exception(cls, exc: SCIMException | ValidationError) -> "ScimError":
        """The SCIM error that a scim2-models exception or a payload validation error means."""
        if isinstance(exc, ValidationError):
            errors = Error.from_validation_errors(exc)
            first = errors[0]
            first.detail = "; ".join(e.detail or "" for e in errors)[:1000]
            return cls(first)
        return cls(exc.to_error())


def normalised(response: HttpResponse) -> HttpResponse:
    """Makes an error response of django-scim2 (an integer ``status``, or no body at all for a
    501 or an unknown discovery id) a well-formed RFC 7644 §3.12 error."""
    if response.status_code < 400:
        return response
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        body = {}
    detail = body.get("detail") if isinstance(body, dict) else None
    scim_type = body.get("scimType") if isinstance(body, dict) else None
    fixed = error_response(
        response.status_code,
        str(detail or _DEFAULT_DETAIL.get(response.status_code, "Error")),
        scim_type,
    )
    for header in ("WWW-Authenticate", "Retry-After"):
        if header in response:
            fixed[header] = response[header]
    return fixed


_DEFAULT_DETAIL = {
    404: "Resource not found",
    405: "Method not allowed",
    501: "Not implemented",
}
