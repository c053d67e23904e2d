"""Sign-in pages: thin views that parse the request, call accounts.signin.flows and render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit, lockout
from accounts.registration.flows import signup_open
from accounts.signin import flows
from accounts.signin.forms import LocationForm, PasswordForm, UsernameForm
from sso.in_place import in_place_step, show_in_place
from sso.next_param import url_with_next

TOO_MANY_REQUESTS = 429


def _posted(request: HttpRequest):  # type: ignore[no-untyped-def]
    """The POST data to bind a form to, or None on GET (an empty POST is still a submission)."""
    return request.POST if request.method == "POST" else None


@never_cache
@require_http_methods(["GET", "POST"])
def username_step(request: HttpRequest) -> HttpResponse:
    """Step 1: the username. "Next" leads on whether or not the account exists, to step 2's
    page shown in place (sso.in_place), or to the passkey page when the passkey was chosen on
    this page's own copy of step 2 (portal.js shows it without a request)."""
    if request.user.is_authenticated and not flows.fresh_signin_requested(request):
        return redirect(flows.safe_next_url(request, request.GET.get("next")) or "home")
    state = flows.current_signin(request)
    form = UsernameForm(_posted(request), initial={"username": state.username if state else ""})
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        next_url = flows.next_for(state, username, request.POST.get("next", ""))
        flows.start_signin(request, username, next_url)
        if request.POST.get("method") == "passkey":
            return show_in_place(request, reverse("passkeys:signin"))
        return show_in_place(request, reverse("accounts:method"))
    next_url = flows.safe_next_url(request, request.GET.get("next"))
    context = {
        "form": form,
        "next": next_url,
        "signup_open": signup_open(),
        "password_form": _revealed_password_form(),
        "location_enabled": settings.ACCOUNTS_LOCATION_ENABLED,
    }
    return render(request, "accounts/username.html", context)


@in_place_step
@never_cache
@require_http_methods(["GET"])
def method_step(request: HttpRequest) -> HttpResponse:
    """Step 2: how to sign in, password or passkey (seeds/000); "Sign in with password" shows
    step 3's form in place."""
    state = flows.current_signin(request)
    if state is None:
        return redirect("accounts:login")
    return render(
        request,
        "accounts/method.html",
        _password_context(_revealed_password_form(), state.username),
    )


def _revealed_password_form() -> PasswordForm:
    """Step 3's form as step 2 holds it, shown in place by "Sign in with password"; portal.js
    focuses the field then (an autofocus on a hidden field is lost)."""
    form = PasswordForm()
    form.fields["password"].widget.attrs.pop("autofocus", None)
    return form


def _remember_location(request: HttpRequest) -> None:
    """Keeps the position the browser shared with the password, if it shared one (seeds/002,
    with the user's consent); a form is built only then."""
    if not request.POST.get("latitude"):
        return
    location = LocationForm(request.POST)
    if location.is_valid() and location.cleaned_data["latitude"] is not None:
        audit.remember_location(
            request, location.cleaned_data["latitude"], location.cleaned_data["longitude"]
        )


@never_cache
@require_http_methods(["GET", "POST"])
def password_step(request: HttpRequest) -> HttpResponse:
    """Step 3: the password, under the brute-force limits; a right one is answered with the
    challenge's page in place (sso.in_place), or Home. The username comes with it when step 2
    was shown on the username page without a request (portal.js): that is step 1 done now."""
    state = _signin_with_posted_username(request)
    if state is None:
        return redirect("accounts:login")
    form = PasswordForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        _remember_location(request)
        result = flows.check_password(request, state, form.cleaned_data["password"])
        if result.user is not None:
            return show_in_place(request, flows.after_password(request, result.user))
        form.add_error(None, flows.password_error(result))
        if result.error == lockout.IP_BLOCKED:
            status = TOO_MANY_REQUESTS
    context = _password_context(form, state.username)
    return render(request, "accounts/password.html", context, status=status)


def _signin_with_posted_username(request: HttpRequest) -> flows.SigninState | None:
    """The sign-in under way; on a POST that names a username (the username page's copy of
    the password form), the sign-in of that name, begun as Next begins it
    (``flows.start_signin``: a different name ends the previous person's half-done sign-in,
    and the ``next`` posted with it is where it goes, as with Next). The method page's form
    posts its own name without ``next``: the sign-in under way goes on as it is. None when
    there is none, the name posted is not a username (too long, blank: the username page
    says why), or someone is signed in and no fresh sign-in was asked for (step 1 leads them
    Home)."""
    state = flows.current_signin(request)
    posted = request.POST.get("username", "") if request.method == "POST" else ""
    next_url = request.POST.get("next", "") if posted else ""
    if not posted or (
        state is not None and flows.same_name(posted, state.username) and not next_url
    ):
        return state
    if request.user.is_authenticated and not flows.fresh_signin_requested(request):
        return None  # step 1's rule (username_step): someone signed in is led Home
    named = UsernameForm({"username": posted})
    if not named.is_valid():
        # Never the password of another name than the one typed: start again, told why.
        reason = named.errors["username"][0]
        messages.error(
            request, _("The username typed is not valid: %(reason)s") % {"reason": reason}
        )
        return None
    return flows.signin_of(request, state, named.cleaned_data["username"], next_url)


def _password_context(form: PasswordForm, username: str) -> dict[str, object]:
    """What templates/accounts/_password_form.html needs, on the method and password pages."""
    return {
        "form": form,
        "username": username,
        "location_enabled": settings.ACCOUNTS_LOCATION_ENABLED,
    }


@never_cache
@require_POST
def restart(request: HttpRequest) -> HttpResponse:
    """ "Not you?" / "Cancel sign-in": forget the sign-in under way (the typed username, its
    challenge, a verified passkey) and start again. A POST with its CSRF token, as any request
    that changes the session: another site cannot end someone's sign-in. Where the sign-in was
    going (a relying app, a page) is kept: the next person is sent there too once signed in.
    Posted from the page of another sign-in than the one under way (a tab left open), it ends
    nothing (``flows.restart_for_another``).
    """
    if flows.restart_for_another(request):
        # The other sign-in is left as it is, as the challenge pages leave it.
        messages.error(request, flows.another_signin_began())
        return redirect("accounts:login")
    state = flows.current_signin(request)
    next_url = flows.safe_next_url(request, request.POST.get("next")) or (
        state.next_url if state else ""
    )
    flows.forget_half_done_signin(request)
    login = reverse("accounts:login")
    return redirect(url_with_next(login, next_url))


@never_cache
@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    """Sign Out ends the session on POST; a GET shows a page with the button (no CSRF logout)."""
    if request.method == "POST":
        logout(request)
        messages.success(request, _("You have signed out."))
        return redirect(settings.LOGOUT_REDIRECT_URL)
    return render(request, "accounts/sign_out.html")
