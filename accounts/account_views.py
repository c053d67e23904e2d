"""Account pages inside Security Settings: password, recent activity, sessions, security
question; and the security-question sign-in step."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit, flows, lockout, security_question, sessions
from accounts.forms import SecurityAnswerForm, SecurityQuestionForm
from accounts.models import SecurityQuestion, User
from accounts.signals import password_changed
from mfa.reauth import recent_auth_required
from mfa.tabs import installed_tabs


def _tab(request: HttpRequest, slug: str, template: str, context: dict) -> HttpResponse:
    return render(request, template, {"tabs": installed_tabs(), "active_tab": slug, **context})


class CountedPasswordChangeForm(PasswordChangeForm):
    """Django's form, with the old password checked as a counted attempt (accounts.attempts):
    a session left open on a shared computer must not let anyone guess the password."""

    def __init__(self, user: User, *args: object, request: HttpRequest, **kwargs: object) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        result = flows.verify_password(self.request, self.user, old_password, "password_change")
        if result.user is None:
            if result.refusal is not None:
                raise ValidationError(flows.password_error(result), code=result.error)
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


@method_decorator(recent_auth_required, name="dispatch")
class PasswordChange(auth_views.PasswordChangeView):
    """Change password (also where "require a new password at next sign-in" leads); like every
    security change it needs a recent sign-in or re-authentication (mfa.reauth)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change")
    form_class = CountedPasswordChangeForm

    def get_form_kwargs(self):  # type: ignore[no-untyped-def]
        return {**super().get_form_kwargs(), "request": self.request}

    def get_context_data(self, **kwargs):  # type: ignore[no-untyped-def]
        return {
            **super().get_context_data(**kwargs),
            "tabs": installed_tabs(),
            "active_tab": "password",
        }

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)  # keeps this session, ends the others
        user = User.objects.get(pk=form.user.pk)
        if user.must_change_password:
            User.objects.filter(pk=user.pk).update(must_change_password=False)
        audit.record(self.request, audit.PASSWORD_CHANGED, user=user)
        password_changed.send(sender=User, user=user)
        messages.success(
            self.request, _("Your password was changed. Other sessions were signed out.")
        )
        return response


@never_cache
@login_required
@require_http_methods(["GET"])
def activity(request: HttpRequest) -> HttpResponse:
    """Recent activity: the last 20 sign-in events."""
    return _tab(
        request,
        "activity",
        "accounts/activity.html",
        {"events": audit.recent_signins(request.user)},
    )


@never_cache
@login_required
@require_http_methods(["GET"])
def where_signed_in(request: HttpRequest) -> HttpResponse:
    context = {
        "sessions": sessions.live_sessions(request.user),
        "current_key": request.session.session_key,
    }
    return _tab(request, "sessions", "accounts/sessions.html", context)


@never_cache
@login_required
@require_POST
def sign_out_session(request: HttpRequest, session_id: int) -> HttpResponse:
    row = request.user.sessions.filter(pk=session_id).first()
    if row is None:
        raise Http404
    if row.session_key == request.session.session_key:
        return redirect("accounts:logout")
    sessions.end_session(request, request.user, row.session_key)
    messages.success(request, _("That session was signed out."))
    return redirect("accounts:sessions")


@never_cache
@login_required
@require_POST
def sign_out_other_sessions(request: HttpRequest) -> HttpResponse:
    count = sessions.end_other_sessions(request, request.user, keep=request.session.session_key)
    text = ngettext(
        "Signed out of %(count)d other session.", "Signed out of %(count)d other sessions.", count
    )
    messages.success(request, text % {"count": count})
    return redirect("accounts:sessions")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@recent_auth_required
def question_settings(request: HttpRequest) -> HttpResponse:
    """Set the security question (only when the policy is on)."""
    if not security_question.is_enabled():
        raise Http404
    current = SecurityQuestion.objects.filter(user=request.user).first()
    form = SecurityQuestionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        security_question.set_question(
            request.user, form.cleaned_data["question"], form.cleaned_data["answer"]
        )
        audit.record(
            request, audit.FACTOR_CHANGED, user=request.user, method="kba", change="question_set"
        )
        messages.success(request, _("Your security question was saved."))
        return redirect("accounts:question_settings")
    return _tab(
        request, "question", "accounts/question_settings.html", {"form": form, "current": current}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def question_step(request: HttpRequest) -> HttpResponse:
    """The sign-in step after the second factor when the policy asks for it."""
    pending = security_question.pending_user(request)
    if pending is None:
        messages.error(request, _("Your sign-in has expired. Please sign in again."))
        return redirect("accounts:login")
    user, methods = pending
    question = SecurityQuestion.objects.get(user=user)
    form = SecurityAnswerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        attempt = security_question.check_answer(request, user, form.cleaned_data["answer"])
        if attempt.ok:
            security_question.clear(request)
            return redirect(flows.complete_signin(request, user, methods, question_answered=True))
        if attempt.locked or (attempt.refusal and attempt.refusal.code != lockout.THROTTLED):
            security_question.clear(request)
            messages.error(request, _("This account is locked. Try again later."))
            return redirect("accounts:login")
        form.add_error("answer", _("That answer is not right."))
    return render(
        request, "accounts/question_step.html", {"form": form, "question": question.question}
    )
