"""Settings of the SMS factor, each with its documented default.

Every value is read when asked for (so tests may override it with pytest-django's ``settings``),
in this order:

1. the Django setting of the same name (``settings.SMS_GATEWAY``);
2. an environment variable of the same name: a Celery worker under test, or a deployment whose
   ``sso/settings.py`` does not list the variable yet, is configured this way. Lists are
   comma-separated, mappings are JSON objects, booleans are ``true``/``false``;
3. the default below.
"""

import json
import os
from typing import Any

from django.conf import settings

CONSOLE_GATEWAY = "mfa.sms.gateways.console.ConsoleGateway"

DEFAULTS: dict[str, Any] = {
    # The gateway class, by dotted path (the same shape as Django's EMAIL_BACKEND):
    #   mfa.sms.gateways.console.ConsoleGateway  writes the message to the log (make run)
    #   mfa.sms.gateways.console.FileGateway     one JSON file per message in SMS_FILE_DIR
    #   mfa.sms.gateways.http.HttpGateway        a generic HTTP(S) provider, SMS_HTTP_*
    #   mfa.sms.gateways.gammu.GammuGateway      Gammu SMSD's outbox (seeds/001), SMS_GAMMU_*
    "SMS_GATEWAY": CONSOLE_GATEWAY,
    # Region used to read numbers typed without +country: "0812 3456 7890" is Indonesian.
    "SMS_DEFAULT_REGION": "ID",
    # Countries (ISO 3166 codes) whose numbers may receive codes; anything else is refused,
    # the first defence against SMS pumping to premium-rate ranges abroad.
    "SMS_ALLOWED_REGIONS": ["ID"],
    # Pumping defence: codes sent per phone number, per account and per client IP in a window.
    "SMS_LIMIT_WINDOW_SECONDS": 3600,
    "SMS_LIMIT_PER_NUMBER": 5,
    "SMS_LIMIT_PER_ACCOUNT": 8,
    "SMS_LIMIT_PER_IP": 20,
    # Delivery retries (timeouts, 5xx): first delay, doubled each retry, capped; how many.
    "SMS_RETRY_BASE_SECONDS": 5,
    "SMS_RETRY_MAX_SECONDS": 120,
    "SMS_MAX_RETRIES": 4,
    # FileGateway: the folder that receives one JSON file per message (e2e tests read it).
    "SMS_FILE_DIR": "var/sms",
    # HttpGateway. Body fields may hold {to} (E.164, +628...), {to_digits} (628...),
    # {message} and {reference} (stable per send, for providers that deduplicate on it).
    "SMS_HTTP_URL": "",
    "SMS_HTTP_METHOD": "POST",
    "SMS_HTTP_HEADERS": {},
    "SMS_HTTP_BODY": {"to": "{to}", "message": "{message}"},
    # "json" or "form" (application/x-www-form-urlencoded); a GET sends the fields as a query.
    "SMS_HTTP_BODY_FORMAT": "json",
    # Statuses that mean accepted; empty means any 2xx.
    "SMS_HTTP_SUCCESS_STATUSES": [],
    # Optionally a field of the JSON answer (dotted path) that must equal SMS_HTTP_SUCCESS_VALUE.
    "SMS_HTTP_SUCCESS_FIELD": "",
    "SMS_HTTP_SUCCESS_VALUE": "",
    "SMS_HTTP_CONNECT_TIMEOUT": 5.0,
    "SMS_HTTP_READ_TIMEOUT": 15.0,
    # GammuGateway: gammu-smsd-inject and the smsdrc of the running gammu-smsd.
    "SMS_GAMMU_INJECT": "gammu-smsd-inject",
    "SMS_GAMMU_SMSDRC": "/etc/gammu-smsdrc",
    "SMS_GAMMU_TIMEOUT": 30.0,
}


def _from_environment(name: str, default: Any) -> Any:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, list):
        return [item.strip() for item in raw.split(",") if item.strip()]
    if isinstance(default, dict):
        value = json.loads(raw)
        if not isinstance(value, dict):
            raise ValueError(f"{name} must be a JSON object")
        return value
    return raw


def get(name: str) -> Any:
    """The value of one SMS setting (see the module docstring for the lookup order)."""
    default = DEFAULTS[name]
    if hasattr(settings, name):
        return getattr(settings, name)
    return _from_environment(name, default)


def allowed_regions() -> list[str]:
    return [region.upper() for region in get("SMS_ALLOWED_REGIONS")]


def success_statuses() -> list[int]:
    return [int(status) for status in get("SMS_HTTP_SUCCESS_STATUSES")]
