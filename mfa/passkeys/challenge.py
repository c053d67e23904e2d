"""A passkey as the second factor after a password (issue 4, point 4).

The challenge page includes ``passkeys/challenge_form.html``: the script fetches options
for the pending user, runs the browser's dialog and submits the answer in the hidden
``credential`` field of ``PasskeyAnswerForm``; ``verify`` checks it. Presence is enough
here, the password was the other factor; so the method adds only ``hwk`` to the session's
methods.
"""

import json

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from mfa.challenge.base import ChallengeMethod, PendingSignin, VerifyResult
from mfa.passkeys.errors import BAD_REQUEST, PasskeyError
from mfa.passkeys.models import Challenge, Passkey

MAX_CREDENTIAL_CHARS = 64 * 1024


class PasskeyAnswerForm(forms.Form):
    """What the challenge page posts: the browser's answer as JSON text."""

    credential = forms.CharField(
        max_length=MAX_CREDENTIAL_CHARS, required=False, widget=forms.HiddenInput
    )


class PasskeyMethod(ChallengeMethod):
    slug = "passkey"
    label = gettext_lazy("Passkey")
    amr = ("hwk",)
    template_name = "passkeys/challenge_form.html"
    form_class = PasskeyAnswerForm

    def enrolled_rows(self) -> QuerySet:
        return Passkey.objects.all()

    def describe(self, user: User) -> str:
        return _("Use one of your registered devices")

    def verify(self, request: HttpRequest, pending: PendingSignin, data: dict) -> VerifyResult:
        # py_webauthn is loaded by the first passkey, not by every sign-in's method list.
        from mfa.passkeys import authentication

        try:
            credential = _parse(data.get("credential") or "")
            verified = authentication.verify_passkey(
                request, Challenge.Purpose.SECOND_FACTOR, credential
            )
        except PasskeyError as error:
            return VerifyResult(False, error.message)
        if verified.passkey.user_id != pending.user.pk:
            return VerifyResult(False, _("This passkey is not registered for this account."))
        return VerifyResult(True)


def _parse(raw: object) -> object:
    if not isinstance(raw, str) or not raw or len(raw) > MAX_CREDENTIAL_CHARS:
        raise PasskeyError(BAD_REQUEST)
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise PasskeyError(BAD_REQUEST) from exc
