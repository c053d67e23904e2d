"""SMS gateways behind one small interface, chosen by ``SMS_GATEWAY`` (a dotted path), the same
shape as Django's mail backends. See ``base.SmsGateway`` for the contract."""

from django.utils.module_loading import import_string

from mfa.sms import conf
from mfa.sms.gateways.base import (
    GatewayError,
    PermanentGatewayError,
    Receipt,
    SmsGateway,
    SmsMessage,
    TemporaryGatewayError,
)

__all__ = [
    "GatewayError",
    "PermanentGatewayError",
    "Receipt",
    "SmsGateway",
    "SmsMessage",
    "TemporaryGatewayError",
    "get_gateway",
]


def get_gateway(path: str | None = None) -> SmsGateway:
    """An instance of the configured gateway (read anew each time: settings may change)."""
    return import_string(path or conf.get("SMS_GATEWAY"))()
