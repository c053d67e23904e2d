"""SMS pumping defence: how many codes may go to one number, one account, one client IP.

An attacker who makes a portal text premium-rate numbers gets paid per message (toll fraud);
these caps bound what one number, one account or one address can make us send in a window.
They add to mfa.codes' own per-account rules (cooldown, 3 sends then a block). Counters live
in the shared cache (Redis in production), as accounts/lockout.py does.
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext as _

from mfa.sms import conf

NUMBER_KEY = "sms:sends:number:{}"
ACCOUNT_KEY = "sms:sends:account:{}"
IP_KEY = "sms:sends:ip:{}"


@dataclass(frozen=True)
class Sender:
    """Who asks for a code to go where."""

    user_id: int
    number: str  # E.164
    ip: str


def _number_key(number: str) -> str:
    # Hashed: the cache need not hold phone numbers.
    return NUMBER_KEY.format(hashlib.sha256(number.encode()).hexdigest()[:32])


def _counters(sender: Sender) -> list[tuple[str, int, str]]:
    """(cache key, limit, message when over it) for each cap."""
    return [
        (
            _number_key(sender.number),
            conf.get("SMS_LIMIT_PER_NUMBER"),
            _("Too many codes were sent to this number. Try again later or use another method."),
        ),
        (
            ACCOUNT_KEY.format(sender.user_id),
            conf.get("SMS_LIMIT_PER_ACCOUNT"),
            _("Too many codes by SMS were sent for your account. Try again later."),
        ),
        (
            IP_KEY.format(sender.ip),
            conf.get("SMS_LIMIT_PER_IP"),
            _("Too many codes by SMS were asked for from your network. Try again later."),
        ),
    ]


def refusal(sender: Sender) -> str:
    """The message of the first cap this send would pass, or '' when it may go."""
    for key, limit, message in _counters(sender):
        if cache.get(key, 0) >= int(limit):
            return message
    return ""


def count_send(sender: Sender) -> None:
    """Counts one code that was queued; each counter lives a window from its first send."""
    window = int(conf.get("SMS_LIMIT_WINDOW_SECONDS"))
    for key, _limit, _message in _counters(sender):
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
