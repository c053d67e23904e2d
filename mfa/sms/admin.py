from django.contrib import admin
from django.http import HttpRequest

from mfa.sms.models import SmsDelivery, SmsDevice


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SmsDelivery)
class SmsDeliveryAdmin(ReadOnlyAdmin):
    """What each SMS gateway did with each message: read-only (the record is the evidence);
    it holds no code and no gateway secret, and the number only masked."""

    list_display = ("created_at", "user", "to_masked", "purpose", "status", "attempts", "gateway")
    list_filter = ("status", "purpose", "gateway")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "user",
        "purpose",
        "to_masked",
        "gateway",
        "status",
        "attempts",
        "provider_status",
        "provider_answer",
        "created_at",
        "updated_at",
        "sent_at",
        "generation",
    )
    exclude = ("challenge",)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SmsDevice)
class SmsDeviceAdmin(ReadOnlyAdmin):
    """Read-only: a number is proved by its owner. Deleting one (a lost phone) is allowed."""

    list_display = ("user", "number", "enabled", "confirmed")
    list_filter = ("enabled",)
    search_fields = ("user__username", "user__email", "number")
    list_select_related = ("user",)
    readonly_fields = ("user", "name", "number", "enabled", "confirmed")
