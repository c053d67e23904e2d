"""Admin: each user shows their factors and trusted devices; action Reset MFA."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit
from accounts.admin import PortalUserAdmin
from accounts.models import User
from mfa import flows
from mfa.models import EmailDevice, RecoveryCode, TrustedDevice
from mfa.passkeys.models import Passkey
from mfa.sms.models import SmsDevice
from sso.admin_confirm import confirm_first


class ReadOnlyInline(admin.TabularInline):
    """Factors are shown, not edited here: users enrol them; admins can only reset."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class TotpInline(ReadOnlyInline):
    model = TOTPDevice
    fields = readonly_fields = ("name", "confirmed", "created_at", "last_used_at")
    verbose_name = _("authenticator app")
    verbose_name_plural = _("authenticator apps")


class EmailFactorInline(ReadOnlyInline):
    model = EmailDevice
    fields = readonly_fields = ("email", "confirmed", "created_at", "last_used_at")


class PasskeyInline(ReadOnlyInline):
    model = Passkey
    fields = readonly_fields = ("name", "backup_state", "created_at", "last_used_at")


class SmsFactorInline(ReadOnlyInline):
    model = SmsDevice
    fields = readonly_fields = ("number", "enabled", "confirmed")


class TrustedDeviceInline(ReadOnlyInline):
    model = TrustedDevice
    fields = readonly_fields = ("user_agent", "ip", "created_at", "expires_at", "last_used_at")


class RecoveryCodeInline(ReadOnlyInline):
    model = RecoveryCode
    fields = readonly_fields = ("created_at", "used_at")


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(PortalUserAdmin):
    inlines = [
        *PortalUserAdmin.inlines, TotpInline, EmailFactorInline, PasskeyInline, SmsFactorInline,
        RecoveryCodeInline, TrustedDeviceInline,
    ]  # fmt: skip
    actions = [*PortalUserAdmin.actions, "reset_mfa"]

    def has_reset_mfa_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.reset_mfa")

    @admin.action(
        description=_("Reset MFA (remove factors, recovery codes, trusted devices)"),
        permissions=["reset_mfa"],
    )
    def reset_mfa(self, request: HttpRequest, queryset: QuerySet[User]) -> TemplateResponse | None:
        page = confirm_first(
            self,
            request,
            queryset,
            action="reset_mfa",
            title=_("Reset MFA"),
            question=_(
                "Reset the second factors of these accounts? Each person then signs in with "
                "the password alone (or must set up a factor again) and is told by email. "
                "This cannot be undone."
            ),
            consequences=reset_removes,
        )
        if page is not None:
            return page
        count = 0
        for user in queryset:
            flows.reset_mfa(user, request)
            audit.record(
                request, audit.ADMIN_ACTION, user=user, actor=request.user, action="reset_mfa"
            )
            count += 1
        self.message_user(
            request,
            ngettext("MFA reset for %(count)d account.", "MFA reset for %(count)d accounts.", count)
            % {"count": count},
            messages.SUCCESS,
        )
        return None


def reset_removes(user: User) -> list[str]:
    """What Reset MFA removes from ``user``, one line per kind it has (the confirmation page)."""
    lines = []
    totp = TOTPDevice.objects.filter(user=user).count()
    if totp:
        lines.append(
            ngettext("%(count)d authenticator app", "%(count)d authenticator apps", totp)
            % {"count": totp}
        )
    for device in EmailDevice.objects.filter(user=user):
        lines.append(_("Sign-in codes by email to %(address)s") % {"address": device.email})
    passkeys = Passkey.objects.filter(user=user).count()
    if passkeys:
        lines.append(
            ngettext("%(count)d passkey", "%(count)d passkeys", passkeys) % {"count": passkeys}
        )
    for device in SmsDevice.objects.filter(user=user):
        lines.append(_("Sign-in codes by SMS to %(number)s") % {"number": device.number})
    codes = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    if codes:
        lines.append(
            ngettext("%(count)d unused recovery code", "%(count)d unused recovery codes", codes)
            % {"count": codes}
        )
    trusted = TrustedDevice.objects.filter(user=user).count()
    if trusted:
        lines.append(
            ngettext("%(count)d trusted device", "%(count)d trusted devices", trusted)
            % {"count": trusted}
        )
    return lines or [_("No second factor to remove.")]


@admin.register(TrustedDevice)
class TrustedDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "user_agent", "ip", "created_at", "expires_at", "last_used_at")
    search_fields = ("user__username", "ip")
    list_filter = ("expires_at",)
    readonly_fields = (
        "user",
        "token_hash",
        "created_at",
        "expires_at",
        "user_agent",
        "ip",
        "last_used_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
