"""The password pages: forgot ("Lupa Password"), the reset link, and Change password."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import audit, lockout
from accounts.models import User
from accounts.password.forms import CountedPasswordChangeForm, ForgotPasswordForm
from accounts.password.reset import over_request_limit, request_password_reset
from mfa.reauth import recent_auth_required
from mfa.tabs import installed_tabs

TOO_MANY_REQUESTS = 429


@never_cache
@require_http_methods(["GET", "POST"])
def forgot_password(request: HttpRequest) -> HttpResponse:
    """Lupa Password: email and username; the same answer whether or not they match."""
    form = ForgotPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if over_request_limit(request):
            form.add_error(None, _("Too many requests. Please try again later."))
            return render(
                request, "accounts/forgot_password.html", {"form": form}, status=TOO_MANY_REQUESTS
            )
        request_password_reset(request, form.cleaned_data["email"], form.cleaned_data["username"])
        return redirect("accounts:password_reset_sent")
    return render(request, "accounts/forgot_password.html", {"form": form})


@never_cache
@require_http_methods(["GET"])
def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_sent.html")


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """Django's single-use link check; the user signs in afterwards (a reset never skips MFA)."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_done")
    post_reset_login = False

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        # The new password hash already ends every other session (Django's session auth hash);
        # its save sent password_changed, which lets the MFA app revoke trusted devices too.
        lockout.unlock(form.user)
        audit.record(self.request, audit.PASSWORD_CHANGED, user=form.user, method="reset")
        return response


@never_cache
@require_http_methods(["GET"])
def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/password_reset_done.html", {"login_url": reverse("accounts:login")}
    )


@method_decorator(recent_auth_required, name="dispatch")
@method_decorator(never_cache, name="dispatch")
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
        audit.record(self.request, audit.PASSWORD_CHANGED, user=user)  # the save sent the signal
        messages.success(
            self.request, _("Your password was changed. Other sessions were signed out.")
        )
        return response
