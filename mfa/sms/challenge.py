"""SMS codes as a way to pass the sign-in challenge (listed in MFA_CHALLENGE_METHODS)."""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from mfa.challenge.base import PendingSignin
from mfa.methods import MessageCodeMethod
from mfa.models import CodeChallenge
from mfa.sms import flows, phone


class SmsCodeMethod(MessageCodeMethod):
    slug = "sms"
    label = gettext_lazy("SMS")
    amr = ("sms",)  # RFC 8176: confirmation by an SMS text to a number the user holds
    channel = CodeChallenge.Channel.SMS

    def enrolled_rows(self) -> QuerySet:
        return flows.active_devices()

    def describe(self, user: User) -> str:
        device = flows.active_device(user)
        if device is None:
            return ""
        return _("A code sent by SMS to %(number)s") % {"number": phone.mask(device.number)}

    def start(self, request: HttpRequest, pending: PendingSignin) -> str:
        device = flows.active_device(pending.user)
        if device is None:
            return _("This method is not available.")
        error = flows.send_code(
            request, pending.user, device.number, pending.attempt_id, CodeChallenge.Purpose.SIGNIN
        )
        return self.with_advice(pending.user, error)
