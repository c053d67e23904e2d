"""Registration pages: thin views over accounts.registration.flows."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.registration import flows
from accounts.registration.forms import SignupForm
from accounts.signin import flows as signin_flows

TOO_MANY_REQUESTS = 429
GONE = 410


def _require_open() -> None:
    if not flows.signup_open():
        raise Http404


@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Create an account: the same "check your e-mail" page whatever was typed."""
    _require_open()
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if flows.over_limit(request, data["email"]):
            form.add_error(None, _("Too many sign-up attempts. Please try again later."))
            return render(
                request, "accounts/registration/signup.html", {"form": form},
                status=TOO_MANY_REQUESTS,
            )  # fmt: skip
        flows.register(
            request, username=data["username"], full_name=data["full_name"],
            email=data["email"], password=data["password1"],
        )  # fmt: skip
        return redirect("accounts:signup_sent")
    return render(request, "accounts/registration/signup.html", {"form": form})


@require_http_methods(["GET"])
def sent(request: HttpRequest) -> HttpResponse:
    _require_open()
    return render(request, "accounts/registration/sent.html")


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, key: str, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links; only a person's POST makes the account)."""
    _require_open()
    pending = flows.find_pending(key, token)
    if isinstance(pending, flows.VerifyProblem):
        return _problem(request, pending)
    if request.method == "GET":
        return render(request, "accounts/registration/verify.html", {"pending": pending})
    result = flows.verify(request, pending)
    if result.user is None:
        return _problem(request, result.problem)
    # Sign-in goes on at the method step for the new username, as after "Next".
    signin_flows.start_signin(request, result.user.get_username())
    messages.success(request, _("Your e-mail address is verified. Sign in to continue."))
    return redirect("accounts:method")


def _problem(request: HttpRequest, problem: flows.VerifyProblem | None) -> HttpResponse:
    problem = problem or flows.VerifyProblem.INVALID
    status = 404 if problem == flows.VerifyProblem.INVALID else GONE
    context = {"problem": problem.value}
    return render(request, "accounts/registration/problem.html", context, status=status)
