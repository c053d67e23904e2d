"""Admin pieces for invitations: the add-a-person form (no password), the invitation column
and filter, the read-only inline of a person's invitations, and the "Send invitation" action."""

from collections import Counter
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.forms import UserCreationForm
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.invitations.flows import InvitationRefused, send_invitation
from accounts.invitations.models import Invitation
from accounts.models import User

State = Invitation.State

REFUSAL_MESSAGES = {
    "inactive": _("inactive"),
    "no_email": _("no e-mail address"),
    "has_password": _("already has a password"),
}


class InviteUserCreationForm(forms.ModelForm):
    """Adds a person without a password: they choose one from the invitation mail."""

    send_invitation = forms.BooleanField(
        label=_("Send an invitation now"),
        required=False,
        initial=True,
        help_text=_("The person gets a mail with a single-use link to choose a password."),
    )

    class Meta:
        model = User
        fields = ("username", "email", "full_name", "phone")
        field_classes = {"username": UserCreationForm.Meta.field_classes["username"]}

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def clean_username(self) -> str:
        from accounts.admin import refuse_taken_username  # the admin's one rule, both forms

        username = self.cleaned_data["username"]
        refuse_taken_username(username, self.instance)
        return username

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


def with_latest_invitation(queryset: QuerySet[User]) -> QuerySet[User]:
    """Annotates each account with its newest invitation's dates (one query for the list)."""
    latest = Invitation.objects.filter(user=OuterRef("pk")).order_by("-created_at")
    return queryset.annotate(
        invitation_sent_at=Subquery(latest.values("sent_at")[:1]),
        invitation_created_at=Subquery(latest.values("created_at")[:1]),
        invitation_expires_at=Subquery(latest.values("expires_at")[:1]),
        invitation_accepted_at=Subquery(latest.values("accepted_at")[:1]),
        invitation_revoked_at=Subquery(latest.values("revoked_at")[:1]),
        invitation_failed_at=Subquery(latest.values("failed_at")[:1]),
    )


def latest_state(user: User) -> str:
    """The state of the newest invitation from ``with_latest_invitation``'s columns; '' if none."""
    created: datetime | None = getattr(user, "invitation_created_at", None)
    if created is None:
        return ""
    probe = Invitation(
        created_at=created,
        expires_at=user.invitation_expires_at,  # type: ignore[attr-defined]
        sent_at=user.invitation_sent_at,  # type: ignore[attr-defined]
        accepted_at=user.invitation_accepted_at,  # type: ignore[attr-defined]
        revoked_at=user.invitation_revoked_at,  # type: ignore[attr-defined]
        failed_at=user.invitation_failed_at,  # type: ignore[attr-defined]
    )
    return probe.state


class InvitationFilter(admin.SimpleListFilter):
    title = _("invitation")
    parameter_name = "invitation"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [
            (State.SENT, _("sent")),
            (State.FAILED, _("mail failed")),
            (State.ACCEPTED, _("accepted")),
            (State.EXPIRED, _("expired")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        now = timezone.now()
        value = self.value()
        if value == State.ACCEPTED:
            return queryset.filter(invitation_accepted_at__isnull=False)
        open_rows = queryset.filter(
            invitation_created_at__isnull=False,
            invitation_accepted_at__isnull=True,
            invitation_revoked_at__isnull=True,
        )
        if value == State.SENT:
            return open_rows.filter(invitation_expires_at__gt=now)
        if value == State.FAILED:
            return open_rows.filter(
                invitation_expires_at__gt=now,
                invitation_sent_at__isnull=True,
                invitation_failed_at__isnull=False,
            )
        if value == State.EXPIRED:
            return open_rows.filter(invitation_expires_at__lte=now)
        return queryset


class InvitationInline(admin.TabularInline):
    model = Invitation
    fk_name = "user"
    extra = 0
    can_delete = False
    fields = (
        "created_at", "invited_by", "state_label", "sent_at", "failure", "expires_at",
        "accepted_at",
    )  # fmt: skip
    readonly_fields = fields
    verbose_name_plural = _("invitations")

    @admin.display(description=_("state"))
    def state_label(self, invitation: Invitation) -> str:
        return Invitation.State(invitation.state).label

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def invite(request: HttpRequest, users: QuerySet[User] | list[User]) -> tuple[int, Counter]:
    """Sends (or sends again) an invitation to each account; returns (sent, refusals by code)."""
    sent, refused = 0, Counter()
    for user in users:
        try:
            send_invitation(user, actor=request.user, request=request)
        except InvitationRefused as refusal:
            refused[refusal.code] += 1
        else:
            sent += 1
    return sent, refused


def report_invitations(model_admin: admin.ModelAdmin, request: HttpRequest, users) -> None:  # type: ignore[no-untyped-def]
    """Runs ``invite`` and tells the admin how many went out and why others did not."""
    sent, refused = invite(request, users)
    if sent:
        text = ngettext(
            "Invitation sent to %(count)d account.", "Invitations sent to %(count)d accounts.", sent
        )
        model_admin.message_user(request, text % {"count": sent}, messages.SUCCESS)
    for code, count in refused.items():
        text = ngettext(
            "%(count)d account not invited: %(reason)s.",
            "%(count)d accounts not invited: %(reason)s.",
            count,
        )
        reason = REFUSAL_MESSAGES[code]
        model_admin.message_user(
            request, text % {"count": count, "reason": reason}, messages.WARNING
        )
