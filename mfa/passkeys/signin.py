"""The passkey sign-in between the browser's dialog and "Confirm and Continue".

After a verified assertion the session remembers who proved it, for a few minutes; the
Confirm and Continue step then signs in through ``accounts.signin.flows.complete_signin`` with
``PASSKEY_AMR``: a passkey with user verification is already multi-factor, so no second
challenge follows (design.md, sign-in flow step 4).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.http import HttpRequest

from accounts.models import User
from accounts.signin import flows
from accounts.usernames import canonical_username
from mfa.passkeys import PASSKEY_AMR, conf
from mfa.passkeys.models import Passkey

if TYPE_CHECKING:  # it loads py_webauthn, which the sign-in pages need only with a passkey
    from mfa.passkeys.authentication import VerifiedPasskey

VERIFIED_SESSION_KEY = "passkeys.verified"


def remember_verified(request: HttpRequest, verified: VerifiedPasskey, next_url: str) -> None:
    """Keeps the passkey just verified for Confirm and Continue (``confirm_signin``).

    The passkey names its owner: when the sign-in under way is not theirs (none, for the
    passkey chosen on the username page without typing a name, which is step 1 itself), the
    owner's is begun now, as a name typed there begins it (``flows.start_signin``, with where
    the passkey's page was going), not at Confirm and Continue. The pages of another sign-in
    left open in a tab then post another mark than this one's, and their "Not you?" ends
    nothing (``flows.restart_for_another``): without a typed name there was no mark to tell a
    sign-in from the one before it. Someone signed in, without a fresh sign-in asked for,
    begins none (step 1's rule: ``confirm_signin`` then signs no one in), so a step-up under
    way in another tab is left as it is.
    """
    user = verified.passkey.user
    state = flows.current_signin(request)
    may_sign_in = not request.user.is_authenticated or flows.fresh_signin_requested(request)
    if may_sign_in and (
        state is None or canonical_username(state.username) != user.username_canonical
    ):
        flows.start_signin(request, user.username, next_url)
    request.session[VERIFIED_SESSION_KEY] = {
        "user": verified.passkey.user_id,
        "passkey": verified.passkey.pk,
        "at": time.time(),
    }


def verified_passkey(request: HttpRequest) -> Passkey | None:
    """The passkey verified in this session a moment ago, or None."""
    data = request.session.get(VERIFIED_SESSION_KEY)
    if not isinstance(data, dict) or time.time() - data.get("at", 0) > conf.challenge_seconds():
        request.session.pop(VERIFIED_SESSION_KEY, None)
        return None
    return (
        Passkey.objects.select_related("user")
        .filter(pk=data.get("passkey"), user_id=data.get("user"), user__is_active=True)
        .first()
    )


def posted_for_another(request: HttpRequest) -> bool:
    """Whether Confirm and Continue was posted from the page of another account's passkey than
    the one verified in this session now (accounts.signin.flows.posted_for_another): a tab
    left open at one person's Confirm and Continue while another person's passkey was verified
    in the browser. False without a verified passkey (``confirm_signin`` then signs no one in)."""
    data = request.session.get(VERIFIED_SESSION_KEY)
    return isinstance(data, dict) and flows.posted_for_another(request, data.get("user"))


def confirm_signin(request: HttpRequest) -> str | None:
    """Signs in the owner of the verified passkey; returns where to go, or None if stale, if
    someone is signed in and no fresh sign-in was asked for (step 1's rule, as for the
    password: accounts.signin.views; the username page then leads them Home), or if the
    sign-in under way is not the owner's.

    The passkey belongs to the owner's sign-in, begun or found by ``remember_verified``; it
    confirms none begun in another way since. Verified while someone was signed in, it began
    none: a fresh sign-in asked for afterwards in another tab (an app's prompt=login) is not
    met by it, nor ended by it as beginning the owner's one here would end it.

    The passkey signs in once: of parallel Confirm and Continue posts of it, the ones after
    the first raise ``flows.SigninAlreadyCompleted`` (``complete_signin``'s ``once``)."""
    passkey = verified_passkey(request)
    request.session.pop(VERIFIED_SESSION_KEY, None)
    if passkey is None:
        return None
    if request.user.is_authenticated and not flows.fresh_signin_requested(request):
        return None
    user: User = passkey.user
    state = flows.current_signin(request)
    if state is None or canonical_username(state.username) != user.username_canonical:
        return None
    return flows.complete_signin(request, user, methods=list(PASSKEY_AMR), once=True)
