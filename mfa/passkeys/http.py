"""JSON plumbing of the passkey endpoints: a capped body, and errors as 400 JSON."""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from mfa.passkeys import conf
from mfa.passkeys.errors import BAD_REQUEST, BODY_TOO_LARGE, PasskeyError

BAD_REQUEST_STATUS = 400


def error_response(
    error: PasskeyError, status: int = BAD_REQUEST_STATUS, **extra: Any
) -> JsonResponse:
    return JsonResponse({"error": error.code, "message": error.message, **extra}, status=status)


def read_json(request: HttpRequest) -> dict:
    """The request body as a JSON object, read no further than the configured cap."""
    limit = conf.max_body_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise PasskeyError(BAD_REQUEST) from exc
    if declared > limit:
        raise PasskeyError(BODY_TOO_LARGE)
    body = request.read(limit + 1)
    if len(body) > limit:
        raise PasskeyError(BODY_TOO_LARGE)
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError) as exc:
        raise PasskeyError(BAD_REQUEST) from exc
    if not isinstance(data, dict):
        raise PasskeyError(BAD_REQUEST)
    return data


def json_endpoint(view: Callable[..., JsonResponse]) -> Callable[..., HttpResponse]:
    """POST only; a PasskeyError raised by the view becomes a 400 JSON answer."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            response = JsonResponse({"error": "method_not_allowed"}, status=405)
            response["Allow"] = "POST"
            return response
        try:
            return view(request, *args, **kwargs)
        except PasskeyError as error:
            return error_response(error)

    return wrapped
