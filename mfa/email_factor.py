"""The e-mail factor's rules in Security Settings: a code to a new address, and the address
saved once that code is typed back (the SMS number has the same in mfa/sms/flows.py)."""

from django.http import HttpRequest

from accounts.models import User
from accounts.profile.email import use_verified_address
from mfa import codes, notices
from mfa.methods import check_error, send_error
from mfa.models import CodeChallenge, EmailDevice

ENROL_ATTEMPT_PREFIX = "email-change-"


def send_code(user: User, address: str, attempt_id: str) -> str:
    """Queues a code to ``address``; the message for the user when refused, else ''."""
    result = codes.request_code(
        user, CodeChallenge.Channel.EMAIL, address, attempt_id, CodeChallenge.Purpose.ENROL
    )
    return send_error(result)


def confirm_address(
    user: User, address: str, attempt_id: str, code: str, request: HttpRequest | None = None
) -> str:
    """Saves ``address`` for codes once the code sent to it is right; '' when saved, else the
    message for the user. The account never points at an address nobody proved to read."""
    result = codes.check_code(
        user, attempt_id, CodeChallenge.Channel.EMAIL, CodeChallenge.Purpose.ENROL, code
    )
    if result.status != codes.OK:
        return check_error(result)
    EmailDevice.objects.update_or_create(
        user=user, defaults={"email": address, "confirmed": True, "name": "Email"}
    )
    # One verified address: the account e-mail follows (the old address is told).
    use_verified_address(user, address, request)
    notices.notify_change(user, "email_changed", request)
    return ""
