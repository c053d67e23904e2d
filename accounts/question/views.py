"""The security question: its page in Security Settings and its sign-in step."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import audit, lockout
from accounts.models import SecurityQuestion
from accounts.question import flows as security_question
from accounts.question.forms import SecurityAnswerForm, SecurityQuestionForm
from accounts.signin import flows
from mfa.reauth import recent_auth_required
from mfa.tabs import installed_tabs


def _tab(request: HttpRequest, slug: str, template: str, context: dict) -> HttpResponse:
    return render(request, template, {"tabs": installed_tabs(), "active_tab": slug, **context})


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
        return redirect(flows.signin_ended(request))
    user, methods = pending
    if request.method == "POST" and flows.posted_for_another(request, user.pk):
        messages.error(request, flows.another_signin_began())
        return redirect("accounts:login")
    question = SecurityQuestion.objects.get(user=user)
    form = SecurityAnswerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        attempt = security_question.check_answer(request, user, form.cleaned_data["answer"])
        if attempt.ok:
            security_question.clear(request)
            try:
                return redirect(
                    flows.complete_signin(request, user, methods, question_answered=True, once=True)
                )
            except flows.SigninAlreadyCompleted:  # by an answer posted with this one
                return redirect(flows.signin_ended(request))
        if attempt.locked or (attempt.refusal and attempt.refusal.code != lockout.THROTTLED):
            security_question.clear(request)
            messages.error(request, _("This account is locked. Try again later."))
            return redirect("accounts:login")
        form.add_error("answer", _("That answer is not right."))
    context = {"form": form, "question": question.question, "page_mark": flows.page_mark(user.pk)}
    return render(request, "accounts/question_step.html", context)
