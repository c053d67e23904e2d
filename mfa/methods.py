"""The built-in ways to pass the challenge: authenticator app, e-mail code, recovery code."""

import math

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import attempts
from accounts.models import User
from mfa import codes, recovery, totp
from mfa.challenge.base import ChallengeMethod, PendingSignin, VerifyResult
from mfa.forms import RecoveryCodeForm
from mfa.models import CodeChallenge, EmailDevice


def mask_email(address: str) -> str:
    """a•••@example.com: enough to recognise one's own address, not to learn someone else's."""
    name, _, domain = address.partition("@")
    return f"{name[:1]}•••@{domain}"


class TotpMethod(ChallengeMethod):
    slug = "totp"
    label = gettext_lazy("Authenticator")
    amr = ("otp",)
    template_name = "mfa/challenge/code_form.html"

    def enrolled_rows(self) -> QuerySet:
        return totp.confirmed_devices()

    def describe(self, user: User) -> str:
        return _("A 6-digit code from your authenticator app")

    def fresh(self, user: User | None) -> User | None:
        # The lock read again and the authenticator read for verify, in one statement.
        return totp.fresh_with_device(user)

    def verify(self, request: HttpRequest, pending: PendingSignin, data: dict) -> VerifyResult:
        # The device is found and locked in one read. A try while django-otp's throttle is on
        # raises accounts.attempts.Throttled: the caller's check_secret shows the wait and
        # counts nothing.
        # The attempt's success event is written with the code's accepting write.
        success = attempts.offered_success(request)
        verified = totp.check_confirmed(pending.user, data["code"], success)
        if verified is None:
            return VerifyResult(False, _("This method is not available."))
        if verified:
            return VerifyResult(True)
        return VerifyResult(False, _("That code is not right. Check your app and try again."))


class MessageCodeMethod(ChallengeMethod):
    """A code sent by a message (e-mail, SMS): the parts every such channel shares."""

    template_name = "mfa/challenge/code_form.html"
    channel = ""
    sends_message = True

    def challenge(self, pending: PendingSignin) -> CodeChallenge | None:
        return codes.find_challenge(
            pending.user, pending.attempt_id, self.channel, CodeChallenge.Purpose.SIGNIN
        )

    def blocked_seconds(self, user: User) -> int:
        """Seconds until sign-in codes may be sent again on this channel (0: they may now)."""
        return codes.blocked_for(user.pk, self.channel, CodeChallenge.Purpose.SIGNIN)

    def with_advice(self, user: User, error: str) -> str:
        """``error`` of a refused send, followed, while the channel is blocked, by what the
        person can do instead (``blocked_advice``)."""
        if error and self.blocked_seconds(user):
            return f"{error} {blocked_advice(user, self)}"
        return error

    def context(self, request: HttpRequest, pending: PendingSignin) -> dict:
        """Whether the message left, the countdowns of the code's life and the resend, and,
        while the channel is blocked, when it opens again and what else the person can do."""
        challenge = self.challenge(pending)
        countdowns = codes.countdown(challenge)
        blocked = self.blocked_seconds(pending.user)
        if blocked:
            countdowns["resend_in"] = max(countdowns["resend_in"], blocked)
        return {
            "delivery": challenge.delivery if challenge else "",
            "can_resend": True,
            "blocked_for": blocked,
            "blocked_until": codes.blocked_until(
                pending.user.pk, self.channel, CodeChallenge.Purpose.SIGNIN
            ),
            "blocked_advice": blocked_advice(pending.user, self) if blocked else "",
            **countdowns,
        }

    def verify(self, request: HttpRequest, pending: PendingSignin, data: dict) -> VerifyResult:
        result = codes.check_code(
            pending.user,
            pending.attempt_id,
            self.channel,
            CodeChallenge.Purpose.SIGNIN,
            data["code"],
        )
        if result.status == codes.OK:
            self.used(pending.user)
        return VerifyResult(result.status == codes.OK, check_error(result))

    def used(self, user: User) -> None:
        """Hook: note that the factor was just used."""


class EmailCodeMethod(MessageCodeMethod):
    slug = "email"
    label = gettext_lazy("Email")
    amr = ("otp",)
    channel = CodeChallenge.Channel.EMAIL

    def enrolled_rows(self) -> QuerySet:
        return EmailDevice.objects.filter(confirmed=True)

    def device(self, user: User) -> EmailDevice | None:
        return self.enrolled_rows().filter(user=user).first()

    def describe(self, user: User) -> str:
        device = self.device(user)
        return (
            _("A code sent to %(address)s") % {"address": mask_email(device.email)}
            if device
            else ""
        )

    def start(self, request: HttpRequest, pending: PendingSignin) -> str:
        device = self.device(pending.user)
        if device is None:
            return _("This method is not available.")
        result = codes.request_code(
            pending.user,
            self.channel,
            device.email,
            pending.attempt_id,
            CodeChallenge.Purpose.SIGNIN,
        )
        return self.with_advice(pending.user, send_error(result))

    def used(self, user: User) -> None:
        device = self.device(user)
        if device is not None:
            device.set_last_used_timestamp(commit=True)


class RecoveryCodeMethod(ChallengeMethod):
    slug = "recovery"
    label = gettext_lazy("Recovery code")
    amr = ("otp",)
    template_name = "mfa/challenge/recovery_form.html"
    form_class = RecoveryCodeForm

    def enrolled_rows(self) -> QuerySet:
        return recovery.unused_codes()

    def describe(self, user: User) -> str:
        return _("One of the recovery codes you saved")

    def verify(self, request: HttpRequest, pending: PendingSignin, data: dict) -> VerifyResult:
        if recovery.use_code(pending.user, data["code"]):
            return VerifyResult(True)
        return VerifyResult(False, _("That recovery code is not right or was used already."))


def send_error(result: codes.SendResult) -> str:
    """The message for a refused send, '' when the code went out."""
    if result.status == codes.COOLDOWN:
        return ngettext(
            "Wait %(seconds)d second before asking for a new code.",
            "Wait %(seconds)d seconds before asking for a new code.",
            result.wait_seconds,
        ) % {"seconds": result.wait_seconds}
    if result.status == codes.BLOCKED:
        minutes = max(1, math.ceil(result.wait_seconds / 60))
        return ngettext(
            "Too many codes were sent. You can ask for a new one in %(minutes)d minute.",
            "Too many codes were sent. You can ask for a new one in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    return ""


def blocked_advice(user: User, blocked: ChallengeMethod) -> str:
    """What someone whose code channel ``blocked`` is blocked can do now: another of their
    methods, a recovery code, or (with neither) ask an administrator, who can lift the block
    (Unlock or Reset MFA, docs/admin-guide.md)."""
    from mfa.flows import enrolled_methods

    others = [m for m in enrolled_methods(user) if m.slug != blocked.slug]
    usable = [m for m in others if not m.sends_message or not m.blocked_seconds(user)]
    if any(m.slug != RecoveryCodeMethod.slug for m in usable):
        return _("Or choose another method.")
    if usable:
        return _("Or use one of your recovery codes.")
    return _("If you cannot wait, contact your administrator or helpdesk: they can lift the block.")


def check_error(result: codes.CheckResult) -> str:
    """The message for a refused code, '' when it was right."""
    messages = {
        codes.OK: "",
        codes.WRONG: ngettext(
            "That code is not right. %(left)d try left.",
            "That code is not right. %(left)d tries left.",
            result.tries_left,
        )
        % {"left": result.tries_left},
        codes.EXPIRED: _("That code has expired. Ask for a new one."),
        codes.NO_CODE: _("No code is waiting. Ask for a new one."),
        codes.TOO_MANY: _("Too many wrong codes. Sign in again or use another method."),
    }
    return messages[result.status]
