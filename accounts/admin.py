"""Django admin for accounts: search, filters (active, staff, locked, invitation), account
actions (unlock, lock, sign out everywhere, require a new password, send invitation,
deactivate, reactivate) and the audit trail."""

import csv
import itertools

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import audit, lifecycle, lockout, sessions, signals
from accounts.imports.admin import AccountImportExportMixin
from accounts.invitations.admin import (
    InvitationFilter,
    InvitationInline,
    InviteUserCreationForm,
    latest_state,
    report_invitations,
    with_latest_invitation,
)
from accounts.invitations.models import Invitation
from accounts.models import AuditEvent, User
from sso.admin_confirm import confirm_first

# An admin's lock lasts until an admin unlocks (about a hundred years).
ADMIN_LOCK_MINUTES = 100 * 365 * 24 * 60


class LockedFilter(admin.SimpleListFilter):
    title = _("locked")
    parameter_name = "locked"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(locked_until__gt=now)
        if self.value() == "no":
            return queryset.exclude(locked_until__gt=now)
        return queryset


def refuse_taken_username(username: str, instance: User) -> None:
    """Raises ValidationError when ``username`` reads the same as another account's
    (accounts.usernames.canonical_username): "rina.siti" and "r\u0131na.siti" are one name."""
    other = User.objects.find_by_username(username)
    if other is not None and other.pk != instance.pk:
        raise ValidationError(
            _("This username is taken: it reads the same as the account “%(existing)s”."),
            code="username_taken",
            params={"existing": other.username},
        )


class PortalUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        refuse_taken_username(username, self.instance)
        return username


@admin.register(User)
class PortalUserAdmin(AccountImportExportMixin, UserAdmin):
    form = PortalUserChangeForm
    add_form = InviteUserCreationForm
    list_display = (
        "username", "full_name", "email", "is_active", "is_staff", "locked", "invitation",
    )  # fmt: skip
    list_filter = ("is_active", "is_staff", "is_superuser", LockedFilter, InvitationFilter)
    inlines = [InvitationInline]
    search_fields = ("username", "email", "full_name")
    ordering = ("username",)
    readonly_fields = (
        "last_login", "date_joined", "locked_until", "live_sessions", "recent_events",
    )  # fmt: skip
    # Plain multi-selects: Django's two-box picker fails axe's accessibility checks.
    filter_horizontal = ()
    actions = [
        "unlock_accounts", "lock_accounts", "sign_out_everywhere", "require_new_password",
        "send_invitations", "deactivate_accounts", "reactivate_accounts",
    ]  # fmt: skip
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "email", "phone", "preferred_language")}),
        (
            _("Sign-in protection"),
            {"fields": ("locked_until", "must_change_password", "live_sessions", "recent_events")},
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "full_name", "phone", "send_invitation"),
            },
        ),
    )

    @admin.display(boolean=True, description=_("locked"))
    def locked(self, user: User) -> bool:
        return user.is_locked

    @admin.display(description=_("invitation"))
    def invitation(self, user: User) -> str:
        state = latest_state(user)
        return Invitation.State(state).label if state else "-"

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return with_latest_invitation(super().get_queryset(request))

    def get_inline_instances(self, request: HttpRequest, obj: User | None = None) -> list:
        return super().get_inline_instances(request, obj) if obj is not None else []

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        """Adding sends the invitation when asked; unticking "active" deactivates in full."""
        super().save_model(request, obj, form, change)
        if not change and form.cleaned_data.get("send_invitation"):
            report_invitations(self, request, [obj])
        elif change and "is_active" in form.changed_data:
            if obj.is_active:
                lifecycle.reactivate_account(obj, actor=request.user, request=request)
            else:
                lifecycle.deactivate_account(
                    obj, actor=request.user, reason="admin", request=request
                )

    # --- What helpdesk may not touch -----------------------------------------------------

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple:
        """Only a superuser grants staff, superuser, groups or permissions (server-side)."""
        fields = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ("is_staff", "is_superuser", "groups", "user_permissions")
        return fields

    @admin.display(description=_("signed-in sessions"))
    def live_sessions(self, user: User) -> str:
        rows = sessions.live_sessions(user) if user.pk else []
        return (
            format_html_join(
                mark_safe("<br>"),
                "{} · {} · {}",
                ((r.device or "-", r.ip or "-", r.created_at) for r in rows),
            )
            or "-"
        )

    @admin.display(description=_("recent events"))
    def recent_events(self, user: User) -> str:
        events = AuditEvent.objects.filter(user=user)[:20] if user.pk else []
        return (
            format_html_join(
                mark_safe("<br>"),
                "{} · {} · {} · {}",
                ((e.created_at, e.kind, e.result, e.ip or "-") for e in events),
            )
            or "-"
        )

    # --- Actions (each leaves an audit event) ---------------------------------------------

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.unlock_user")

    def has_sign_out_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.sign_out_user")

    def _done(self, request: HttpRequest, users: QuerySet[User], action: str, text: str) -> None:
        count = 0
        for user in users:
            audit.record(request, audit.ADMIN_ACTION, user=user, actor=request.user, action=action)
            count += 1
        self.message_user(request, text % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Unlock selected accounts"), permissions=["unlock"])
    def unlock_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            lockout.unlock(user)
            signals.account_unlocked.send(sender=User, user=user)
        count = queryset.count()
        text = ngettext("%(count)d account unlocked.", "%(count)d accounts unlocked.", count)
        self._done(request, queryset, "unlock", text)

    @admin.action(description=_("Lock selected accounts"), permissions=["unlock"])
    def lock_accounts(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> TemplateResponse | None:
        page = confirm_first(
            self,
            request,
            queryset,
            action="lock_accounts",
            title=_("Lock accounts"),
            question=_("Lock these accounts until an admin unlocks them?"),
            consequences=lambda user: [
                _("Cannot sign in until unlocked."),
                _("Every portal session ends."),
            ],
        )
        if page is not None:
            return page
        for user in queryset:
            lockout.lock_account(user, minutes=ADMIN_LOCK_MINUTES)
            sessions.end_other_sessions(request, user, actor=request.user)
        count = queryset.count()
        text = ngettext("%(count)d account locked.", "%(count)d accounts locked.", count)
        self._done(request, queryset, "lock", text)
        return None

    @admin.action(description=_("Sign out everywhere"), permissions=["sign_out"])
    def sign_out_everywhere(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> TemplateResponse | None:
        page = confirm_first(
            self,
            request,
            queryset,
            action="sign_out_everywhere",
            title=_("Sign out everywhere"),
            question=_("Sign these accounts out of every browser and application?"),
            consequences=lambda user: [
                _("Every portal session ends; applications with a back-channel logout are told.")
            ],
        )
        if page is not None:
            return page
        for user in queryset:
            sessions.end_other_sessions(request, user, actor=request.user)
        count = queryset.count()
        text = ngettext(
            "%(count)d account signed out everywhere.",
            "%(count)d accounts signed out everywhere.",
            count,
        )
        self._done(request, queryset, "sign_out_everywhere", text)
        return None

    @admin.action(description=_("Require a new password at next sign-in"), permissions=["change"])
    def require_new_password(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        queryset.update(must_change_password=True)
        count = queryset.count()
        text = ngettext(
            "%(count)d account must choose a new password.",
            "%(count)d accounts must choose a new password.",
            count,
        )
        self._done(request, queryset, "require_new_password", text)

    @admin.action(description=_("Send invitation"), permissions=["change"])
    def send_invitations(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Sends an invitation, or a new one that replaces the last (resend)."""
        report_invitations(self, request, queryset)

    @admin.action(description=_("Deactivate selected accounts"), permissions=["change"])
    def deactivate_accounts(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> TemplateResponse | None:
        """Ends sessions, tokens and relying-app sessions at once (accounts.lifecycle)."""
        page = confirm_first(
            self,
            request,
            queryset.exclude(pk=request.user.pk),
            action="deactivate_accounts",
            title=_("Deactivate accounts"),
            question=_("Deactivate these accounts? They can be reactivated later."),
            consequences=lambda user: [
                _("Cannot sign in."),
                _(
                    "Every portal session, application token, open invitation and trusted "
                    "device ends."
                ),
            ],
        )
        if page is not None:
            return page
        count = 0
        for user in queryset.exclude(pk=request.user.pk):
            lifecycle.deactivate_account(user, actor=request.user, reason="admin", request=request)
            count += 1
        text = ngettext("%(count)d account deactivated.", "%(count)d accounts deactivated.", count)
        self.message_user(request, text % {"count": count}, messages.SUCCESS)
        return None

    @admin.action(description=_("Reactivate selected accounts"), permissions=["change"])
    def reactivate_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset.filter(is_active=False):
            lifecycle.reactivate_account(user, actor=request.user, reason="admin", request=request)
            count += 1
        text = ngettext("%(count)d account reactivated.", "%(count)d accounts reactivated.", count)
        self.message_user(request, text % {"count": count}, messages.SUCCESS)

    def log_change(self, request: HttpRequest, obj: User, message: object) -> object:
        audit.record(request, audit.ADMIN_ACTION, user=obj, actor=request.user, action="change")
        return super().log_change(request, obj, message)

    def log_addition(self, request: HttpRequest, obj: User, message: object) -> object:
        audit.record(request, audit.ADMIN_ACTION, user=obj, actor=request.user, action="add")
        return super().log_addition(request, obj, message)


class EchoBuffer:
    """A file-like object whose write returns the line: csv.writer feeds a streaming response."""

    def write(self, value: str) -> str:
        return value


CSV_COLUMNS = ["created_at", "kind", "result", "username", "actor", "method", "ip", "device",
               "user_agent", "latitude", "longitude"]  # fmt: skip


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only, with filters and a streamed CSV export."""

    list_display = ("created_at", "kind", "result", "username", "actor", "method", "ip", "device")
    list_filter = (
        "kind", "result", ("created_at", admin.DateFieldListFilter), "method", "user__groups",
    )  # fmt: skip
    search_fields = ("username", "ip", "user__username", "actor__username")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    change_list_template = "admin/accounts/auditevent/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_urls(self):  # type: ignore[no-untyped-def]
        export = self.admin_site.admin_view(self.export_csv)
        return [path("export.csv", export, name="accounts_auditevent_export"), *super().get_urls()]

    def export_csv(self, request: HttpRequest) -> StreamingHttpResponse:
        """Streams the filtered events as CSV, a chunk of rows at a time (never all in memory)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request).select_related(None).order_by("-created_at")
        rows = queryset.values_list(
            "created_at", "kind", "result", "username", "actor__username", "method", "ip",
            "device", "user_agent", "latitude", "longitude",
        )  # fmt: skip
        writer = csv.writer(EchoBuffer())
        lines = itertools.chain([CSV_COLUMNS], rows.iterator(chunk_size=2000))
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in lines), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
        return response
