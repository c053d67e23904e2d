"""Django admin of the rollout: the policies, extensions and reminders (design.md "Rolling MFA
out"). The adoption view is in mfa.rollout.adoption_admin."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import audit
from mfa.rollout import adoption_admin  # noqa: F401  (registers the adoption view)
from mfa.rollout.forms import ExtensionForm, GroupPolicyForm, OverallPolicyForm
from mfa.rollout.models import Extension, GroupPolicy, OverallPolicy, Reminder

POLICY_FIELDSETS = (
    (None, {"fields": ("level", "deadline")}),
    (
        _("Factors people may set up"),
        {"fields": ("allow_passkey", "allow_totp", "allow_email", "allow_sms")},
    ),
)


def _allowed(policy) -> str:  # type: ignore[no-untyped-def]
    return ", ".join(policy.allowed_factors())


class PolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "level", "deadline", "allowed", "updated_at")

    @admin.display(description=_("factors allowed"))
    def allowed(self, obj) -> str:  # type: ignore[no-untyped-def]
        return _allowed(obj)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        audit.record(
            request, audit.ADMIN_ACTION, actor=request.user, method="mfa_policy",
            policy=str(obj), level=obj.level,
            deadline=obj.deadline.isoformat() if obj.deadline else "",
        )  # fmt: skip


@admin.register(OverallPolicy)
class OverallPolicyAdmin(PolicyAdmin):
    form = OverallPolicyForm
    fieldsets = ((None, {"fields": ("level", "deadline", "staff_level")}), POLICY_FIELDSETS[1])

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One policy for everyone.
        return super().has_add_permission(request) and not OverallPolicy.objects.exists()


@admin.register(GroupPolicy)
class GroupPolicyAdmin(PolicyAdmin):
    form = GroupPolicyForm
    fieldsets = ((None, {"fields": ("group",)}), *POLICY_FIELDSETS)
    list_filter = ("level",)
    search_fields = ("group__name",)


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    form = ExtensionForm
    list_display = ("user", "until", "reason", "granted_by", "granted_at")
    search_fields = ("user__username", "user__full_name", "user__email")
    raw_id_fields = ("user",)
    fields = ("user", "until", "reason")

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        obj.granted_by = request.user
        super().save_model(request, obj, form, change)
        audit.record(
            request, audit.ADMIN_ACTION, user=obj.user, actor=request.user,
            method="mfa_extension", until=obj.until.isoformat(),
        )  # fmt: skip


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "created_at", "detail")
    list_filter = ("kind",)
    search_fields = ("user__username",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
