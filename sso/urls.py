"""Top-level URL map: sign-in under /accounts/, Security Settings under /security/."""

from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("security/", include("mfa.urls")),
    path("security/passkeys/", include("mfa.passkeys.urls")),
    path("security/sms/", include("mfa.sms.urls")),
    path("", include("sso.oidc.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
