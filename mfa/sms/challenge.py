"""SMS codes as a way to pass the sign-in challenge (listed in MFA_CHALLENGE_METHODS)."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from mfa import codes
from mfa.challenge.base import ChallengeMethod, PendingSignin, VerifyResult
from mfa.methods import check_error
from mfa.models import CodeChallenge
from mfa.sms import flows, phone


class SmsCodeMethod(ChallengeMethod):
    slug = "sms"
    label = gettext_lazy("SMS")
    amr = ("sms",)  # RFC 8176: confirmation by an SMS text to a number the user holds
    template_name = "mfa/challenge/code_form.html"
    channel = CodeChallenge.Channel.SMS

    def is_enrolled(self, user: User) -> bool:
        return flows.active_device(user) is not None

    def describe(self, user: User) -> str:
        device = flows.active_device(user)
        if device is None:
            return ""
        return _("A code sent by SMS to %(number)s") % {"number": phone.mask(device.number)}

    def start(self, request: HttpRequest, pending: PendingSignin) -> str:
        device = flows.active_device(pending.user)
        if device is None:
            return _("This method is not available.")
        return flows.send_code(
            request, pending.user, device.number, pending.attempt_id, CodeChallenge.Purpose.SIGNIN
        )

    def context(self, request: HttpRequest, pending: PendingSignin) -> dict:
        challenge = codes.find_challenge(
            pending.user, pending.attempt_id, self.channel, CodeChallenge.Purpose.SIGNIN
        )
        return {"delivery": challenge.delivery if challenge else "", "can_resend": True}

    def verify(self, request: HttpRequest, pending: PendingSignin, data: dict) -> VerifyResult:
        result = codes.check_code(
            pending.user,
            pending.attempt_id,
            self.channel,
            CodeChallenge.Purpose.SIGNIN,
            data["code"],
        )
        return VerifyResult(result.status == codes.OK, check_error(result))
