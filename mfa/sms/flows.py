"""The rules of the SMS factor: send a code, confirm a number, switch it on or off, remove it.

Views and the challenge method call these; each change notifies the user after commit.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from mfa import codes, flows, notices
from mfa.methods import check_error, send_error
from mfa.models import CodeChallenge
from mfa.sms import pumping
from mfa.sms.models import SmsDevice
from sso.net import client_ip

ENROL_ATTEMPT_PREFIX = "sms-enrol-"


def device(user: User) -> SmsDevice | None:
    """The user's phone (on or off), or None."""
    return SmsDevice.objects.filter(user=user, confirmed=True).first()


def active_devices() -> QuerySet[SmsDevice]:
    """Phones that sign-in codes go to: confirmed and switched on."""
    return SmsDevice.objects.filter(confirmed=True, enabled=True)


def active_device(user: User) -> SmsDevice | None:
    """The user's phone that sign-in codes go to."""
    return active_devices().filter(user=user).first()


def send_code(request: HttpRequest, user: User, number: str, attempt_id: str, purpose: str) -> str:
    """Queues a code to ``number`` unless a pumping cap or a code rule refuses it.

    Returns the message for the user when refused, '' when the code is on its way.
    """
    sender = pumping.Sender(user.pk, number, client_ip(request))
    refused = pumping.refusal(sender)
    if refused:
        return refused
    result = codes.request_code(user, CodeChallenge.Channel.SMS, number, attempt_id, purpose)
    if result.status == codes.SENT:
        pumping.count_send(sender)
    return send_error(result)


def confirm_number(user: User, number: str, attempt_id: str, code: str) -> str:
    """Saves ``number`` as the user's phone once the code sent to it is typed back.

    Returns '' when saved, else the message for the user. A changed number replaces the old
    one only here, so the account never points at a number nobody proved to hold.
    """
    result = codes.check_code(
        user, attempt_id, CodeChallenge.Channel.SMS, CodeChallenge.Purpose.ENROL, code
    )
    if result.status != codes.OK:
        return check_error(result)
    with transaction.atomic():
        existing = SmsDevice.objects.select_for_update().filter(user=user).first()
        SmsDevice.objects.update_or_create(
            user=user,
            defaults={"number": number, "confirmed": True, "enabled": True, "name": "SMS"},
        )
        notices.notify_change(user, "sms_changed" if existing else "sms_added")
    return ""


def set_enabled(user: User, enabled: bool) -> bool:
    """Switches codes by SMS on or off; True when something changed."""
    with transaction.atomic():
        changed = SmsDevice.objects.filter(user=user, enabled=not enabled).update(enabled=enabled)
        if changed and enabled:
            notices.notify_change(user, "sms_enabled")
        elif changed:
            # Off is a factor gone for sign-in: trusted devices go too (design.md).
            flows.factor_removed(user, "sms_disabled")
    return bool(changed)


def remove(user: User) -> bool:
    """Removes the user's phone; True when there was one."""
    with transaction.atomic():
        deleted, _ = SmsDevice.objects.filter(user=user).delete()
        if deleted:
            flows.factor_removed(user, "sms_removed")
    return bool(deleted)


def reset(user: User) -> None:
    """Admin's Reset MFA (MFA_RESET_HOOKS): the SMS factor goes; reset_mfa notifies."""
    SmsDevice.objects.filter(user=user).delete()
