"""A generic HTTP(S) SMS provider, configured in settings (most Indonesian providers fit).

Example (a JSON API with a bearer key)::

    SMS_GATEWAY=mfa.sms.gateways.http.HttpGateway
    SMS_HTTP_URL=https://api.provider.example/v1/sms
    SMS_HTTP_HEADERS={"Authorization": "Bearer <key>"}
    SMS_HTTP_BODY={"destination": "{to_digits}", "text": "{message}", "ref": "{reference}"}
    SMS_HTTP_SUCCESS_FIELD=status
    SMS_HTTP_SUCCESS_VALUE=ok

Placeholders are replaced inside the body's string values after the template is read, so a
message can never break the JSON or the form encoding. Redirects are not followed.

What counts as what:

- connect errors, timeouts, 5xx, 408 and 429 ("try later") are temporary: retried;
- any other status that is not a success (4xx, 3xx), and a success status whose answer lacks
  the success field, are permanent: not retried.
"""

import json
from typing import Any

import httpx

from mfa.sms import conf
from mfa.sms.gateways.base import (
    PermanentGatewayError,
    Receipt,
    SmsGateway,
    SmsMessage,
    TemporaryGatewayError,
)

RETRYABLE_STATUSES = {408, 429}
ANSWER_LIMIT = 1000


def fill(template: Any, values: dict[str, str]) -> Any:
    """The body template with {to}, {to_digits}, {message}, {reference} replaced in strings."""
    if isinstance(template, str):
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        return template
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    return template


def _field(document: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(document, dict):
            document = document.get(part)
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return None
    return document


class HttpGateway(SmsGateway):
    def __init__(self) -> None:
        self.url: str = conf.get("SMS_HTTP_URL")
        self.method: str = conf.get("SMS_HTTP_METHOD").upper()
        self.headers: dict[str, str] = dict(conf.get("SMS_HTTP_HEADERS"))
        self.body: dict = conf.get("SMS_HTTP_BODY")
        self.body_format: str = conf.get("SMS_HTTP_BODY_FORMAT").lower()
        self.success_statuses = conf.success_statuses()
        self.success_field: str = conf.get("SMS_HTTP_SUCCESS_FIELD")
        self.success_value: str = str(conf.get("SMS_HTTP_SUCCESS_VALUE"))
        self.timeout = httpx.Timeout(
            float(conf.get("SMS_HTTP_READ_TIMEOUT")),
            connect=float(conf.get("SMS_HTTP_CONNECT_TIMEOUT")),
        )

    def _request_arguments(self, message: SmsMessage) -> dict[str, Any]:
        values = {
            "to": message.to,
            "to_digits": message.to.lstrip("+"),
            "message": message.text,
            "reference": message.reference,
        }
        body = fill(self.body, values)
        if self.method == "GET":
            return {"params": body}
        if self.body_format == "form":
            return {"data": body}
        return {"json": body}

    def _accepted(self, response: httpx.Response) -> bool:
        if self.success_statuses:
            accepted = response.status_code in self.success_statuses
        else:
            accepted = response.is_success
        if not accepted or not self.success_field:
            return accepted
        try:
            document = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return False
        return str(_field(document, self.success_field)) == self.success_value

    def send(self, message: SmsMessage) -> Receipt:
        if not self.url:
            raise PermanentGatewayError("SMS_HTTP_URL is not set")
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
                response = client.request(
                    self.method, self.url, headers=self.headers, **self._request_arguments(message)
                )
        # Exception texts of httpx may quote the URL, which may hold a key: keep only the type.
        except httpx.TimeoutException as exc:
            raise TemporaryGatewayError(f"timeout ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise TemporaryGatewayError(f"network error ({type(exc).__name__})") from exc
        answer = response.text[:ANSWER_LIMIT]
        if self._accepted(response):
            return Receipt(response.status_code, answer)
        if response.status_code >= 500 or response.status_code in RETRYABLE_STATUSES:
            raise TemporaryGatewayError(answer, response.status_code)
        raise PermanentGatewayError(answer, response.status_code)
