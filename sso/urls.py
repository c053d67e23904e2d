"""Top-level URL map: sign-in under /accounts/, Security Settings under /security/."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.home.views import home
from accounts.language import set_language


def _admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """Django admin signs in through the portal (username, password, second factor, lockout,
    audit) instead of its own password-only form."""
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), "accounts:login")


def _admin_password_change(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """Django admin's own password change checks the old password with no guessing limit, no
    audit and no recent sign-in; the portal's page does all three (accounts.attempts)."""
    return redirect("accounts:password_change")


admin.site.login = _admin_login
admin.site.password_change = _admin_password_change
# The portal's name in admin's header and page titles, not Django's ("Django administration").
admin.site.site_header = admin.site.site_title = format_lazy(
    "{} · {}", settings.SSO_SITE_NAME, _("Administration")
)

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("security/setup/", include("mfa.rollout.urls")),
    path("security/", include("mfa.urls")),
    path("security/passkeys/", include("mfa.passkeys.urls")),
    path("security/sms/", include("mfa.sms.urls")),
    path("", include("sso.oidc.urls")),
    path("saml/", include("sso.saml.urls")),
    # Django's set_language, storing a signed-in person's choice (accounts.language).
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/overview/", include("accounts.overview.urls")),
    path("scim/v2/", include("accounts.provisioning.urls")),
    path("admin/", admin.site.urls),
]
