from django.contrib import admin
from django.http import HttpRequest

from mfa.passkeys.models import Passkey


@admin.register(Passkey)
class PasskeyAdmin(admin.ModelAdmin):
    """Read-only: a passkey is made by its owner's authenticator, never typed in here.

    An admin may delete one (a lost device); that is the only change allowed.
    """

    list_display = ("name", "user", "created_at", "last_used_at", "backup_eligible", "backup_state")
    list_filter = ("backup_eligible", "backup_state")
    search_fields = ("user__username", "user__email", "user__full_name", "name")
    list_select_related = ("user",)
    readonly_fields = (
        "user",
        "name",
        "credential_id",
        "sign_count",
        "transports",
        "aaguid",
        "backup_eligible",
        "backup_state",
        "created_at",
        "last_used_at",
    )
    exclude = ("public_key",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
