"""Relying applications in Django admin (DOT registers the model with this class through
``APPLICATION_ADMIN_CLASS``), and the sign-in contexts, read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from oauth2_provider.admin import ApplicationAdmin as DOTApplicationAdmin

from sso.oidc.models import SignInContext


class ApplicationAdmin(DOTApplicationAdmin):
    list_display = ("name", "client_id", "client_type", "skip_authorization", "launch_url")
    list_filter = ("client_type", "skip_authorization", "is_listed")
    search_fields = ("name", "client_id")
    fieldsets = (
        (None, {"fields": ("name", "launch_url", "logo_url", "is_listed", "skip_authorization")}),
        (
            _("OpenID Connect client"),
            {
                "fields": (
                    "client_id",
                    "client_type",
                    "client_secret",
                    "hash_client_secret",
                    "authorization_grant_type",
                    "algorithm",
                    "redirect_uris",
                    "post_logout_redirect_uris",
                    "backchannel_logout_uri",
                    "allowed_origins",
                )
            },
        ),
        (_("Owner and origin"), {"fields": ("user", "registration_source", "cimd_expires_at")}),
    )


@admin.register(SignInContext)
class SignInContextAdmin(admin.ModelAdmin):
    list_display = ("user", "application", "acr", "auth_time", "created", "ended")
    list_filter = ("acr", "application")
    search_fields = ("user__username",)
    readonly_fields = [field.name for field in SignInContext._meta.fields]
    exclude = ("code_hash",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
