"""The invitation accept page: thin, it parses, calls invitations.flows and renders."""

from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.invitations import flows
from accounts.invitations.forms import AcceptInvitationForm
from accounts.signin import flows as signin_flows

GONE = 410


@never_cache
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, key: str, token: str) -> HttpResponse:
    """Choose a password from an invitation link, then go on as after a right password."""
    check = flows.check_link(key, token)
    if check.invitation is None:
        return _problem(request, check.problem)
    user = check.invitation.user
    form = AcceptInvitationForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if request.user.is_authenticated and request.user.pk != user.pk:
            logout(request)  # someone else was signed in on this browser
        try:
            accepted = flows.accept_invitation(
                request, check.invitation, form.cleaned_data["new_password1"]
            )
        except ValidationError as error:
            form.add_error("new_password2", error)
        else:
            if accepted.invitation is None:
                return _problem(request, accepted.problem)
            # The account as saved with its new password: the session is bound to that hash.
            return redirect(signin_flows.after_password(request, accepted.invitation.user))
    context = {"form": form, "invited": user, "expires_at": check.invitation.expires_at}
    return render(request, "accounts/invitations/accept.html", context)


def _problem(request: HttpRequest, problem: flows.LinkProblem | None) -> HttpResponse:
    status = 404 if problem in (None, flows.LinkProblem.INVALID) else GONE
    context = {"problem": (problem or flows.LinkProblem.INVALID).value}
    return render(request, "accounts/invitations/problem.html", context, status=status)
