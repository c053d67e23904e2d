"""What a SCIM write does to the portal (RFC 7644 §3.3 create, §3.5.1 replace, §3.5.2 modify,
§3.6 delete), as plain functions the views call inside the request's transaction.

Each function takes a resource already validated by scim2-models and raises a scim2-models
exception (``UniquenessException``, ``InvalidValueException``, ``NotFoundException``) for
input the portal refuses.
"""

import logging
import uuid

from django.conf import settings
from django.contrib.auth.models import Group as DjangoGroup
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest
from django.utils import timezone
from scim2_models import (
    EnterpriseUser,
    ForbiddenException,
    InvalidValueException,
    NotFoundException,
    UniquenessException,
)

from accounts.language import spoken_language
from accounts.lifecycle import (
    InvitationRefused,
    deactivate_account,
    pseudonymise_and_delete,
    reactivate_account,
    send_invitation,
)
from accounts.models import AccountDeleted, User
from accounts.provisioning.models import ProvisioningClient, ScimGroup, ScimUser
from accounts.provisioning.resources import (
    GroupResource,
    UserResource,
    group_row,
    user_row,
)
from accounts.usernames import canonical_username
from mfa import notices
from mfa.models import EmailDevice

_username_validator = UnicodeUsernameValidator()
log = logging.getLogger(__name__)


def _checked_username(raw: str | None, user: User) -> str:
    """The userName to store (as the client spelt it, trimmed), refused with ``uniqueness``
    when its canonical form (accounts.usernames) is another account's."""
    username = (raw or "").strip()
    if not username:
        raise InvalidValueException(detail="userName is required.")
    if len(username) > 150:
        raise InvalidValueException(detail="userName is longer than 150 characters.")
    try:
        _username_validator(username)
    except ValidationError as exc:
        raise InvalidValueException(detail="userName: " + " ".join(exc.messages)) from exc
    canonical = canonical_username(username)
    if User.objects.filter(username_canonical=canonical).exclude(pk=user.pk).exists():
        raise UniquenessException(detail=f"A user named {username!r} already exists.")
    return username


def _primary_email(resource: UserResource) -> tuple[str, str, bool | None]:
    """The one address the portal keeps: the primary one, else the first (RFC 7643 §2.4)."""
    emails = resource.emails or []
    chosen = next((e for e in emails if e.primary), emails[0] if emails else None)
    if chosen is None or not chosen.value:
        return "", "", None
    kind = chosen.type.value if hasattr(chosen.type, "value") else (chosen.type or "")
    return str(chosen.value), str(kind), chosen.primary


def _write_user(
    user: User, row: ScimUser, resource: UserResource
) -> tuple[bool | None, str | None]:
    """Copies the kept attributes of ``resource`` onto ``user`` and ``row`` and saves both.

    Returns (the previous ``active`` when it changed else None, the previous e-mail address
    when it changed else None)."""
    was_active = user.is_active
    old_email = user.email
    user.username = _checked_username(resource.user_name, user)
    name = resource.name
    row.given_name = (name.given_name or "") if name else ""
    row.family_name = (name.family_name or "") if name else ""
    row.formatted_name = (name.formatted or "") if name else ""
    parts = " ".join(p for p in (row.given_name, row.family_name) if p)
    user.full_name = (resource.display_name or row.formatted_name or parts)[:150]
    user.email, row.email_type, row.email_primary = _primary_email(resource)
    row.external_id = resource.external_id or ""
    # Kept as sent, so that the client reads back what it wrote; the account speaks the first
    # language of it the portal has. None sent leaves the person's own choice as it is.
    row.preferred_language = (resource.preferred_language or "")[:100]
    if spoken := spoken_language(row.preferred_language):
        user.preferred_language = spoken
    extension = resource[EnterpriseUser]
    row.employee_number = (extension.employee_number or "") if extension else ""
    row.department = (extension.department or "") if extension else ""
    row.modified_at = timezone.now()
    new_active = resource.active if resource.active is not None else was_active
    if user.pk is None:
        user.is_active = new_active
    adding = user.pk is None
    try:
        # No savepoint: the uniqueness was checked above, so this fails only in a race with a
        # concurrent create, and then the whole request is rolled back (provisioning.gate).
        user.save()
    except IntegrityError as exc:
        raise UniquenessException(detail=f"A user named {user.username!r} already exists.") from exc
    except AccountDeleted:  # by the admin or another request since it was read
        raise NotFoundException(detail=f"Resource {row.scim_id} not found") from None
    row.user = user
    row.save(force_insert=adding)
    user.scim = row
    return (
        was_active if new_active != was_active else None,
        old_email if user.email != old_email else None,
    )


def _reason(client: ProvisioningClient | None) -> str:
    return f"SCIM provisioning by {client.name}" if client is not None else "SCIM provisioning"


def _apply_active(
    user: User, active: bool, client: ProvisioningClient | None, request: HttpRequest | None
) -> None:
    """``active: false`` ends the person's sessions, tokens and app sessions at once (with
    back-channel logout); ``active: true`` lets them sign in again (accounts.lifecycle)."""
    if active:
        reactivate_account(user, actor=None, reason=_reason(client), request=request)
    else:
        deactivate_account(user, actor=None, reason=_reason(client), request=request)


def _apply_email_change(
    user: User, client: ProvisioningClient | None, request: HttpRequest | None
) -> None:
    """A changed address counts as verified only from a client trusted for it: then the
    e-mail factor follows it (codes go there); otherwise the factor stays on the address
    the person proved (mfa.email_factor) and only the account's contact address changes."""
    if client is None or not client.trusted_for_email or not user.email:
        return
    if (
        EmailDevice.objects.filter(user=user)
        .exclude(email=user.email)
        .update(email=user.email, confirmed=True)
    ):
        notices.notify_change(user, "email_changed", request)


def _invite_if_asked(
    user: User, client: ProvisioningClient | None, request: HttpRequest | None
) -> None:
    """The invitation to set a password, when the client or PROVISIONING_INVITE_NEW_USERS
    asks for it and the account can take one (active, with an address, no password)."""
    wanted = settings.PROVISIONING_INVITE_NEW_USERS or (
        client is not None and client.send_invitations
    )
    if not wanted:
        return
    try:
        send_invitation(user, actor=None, request=request)
    except InvitationRefused as refusal:
        log.info("no invitation for a provisioned account: %s", refusal)


def create_user(
    resource: UserResource, client: ProvisioningClient | None, request: HttpRequest | None = None
) -> User:
    """A new portal account from a SCIM User (RFC 7644 §3.3). It has no password: the person
    sets one through the invitation, when one is sent."""
    user = User()
    user.set_unusable_password()
    _write_user(user, ScimUser(client=client), resource)
    _invite_if_asked(user, client, request)
    return user


def _guard_user(user: User) -> None:
    """Staff and superuser accounts are managed in the portal's admin, never by a system of
    record: a client (or a stolen token) cannot deactivate, rename, re-address or delete them."""
    if user.is_staff or user.is_superuser:
        raise ForbiddenException(detail="Staff accounts are managed in the portal, not over SCIM.")


def _guard_group(group: DjangoGroup) -> None:
    """A group that grants permissions (the Helpdesk role) is the portal's: a client cannot
    change its members, rename or delete it, which would hand out those permissions."""
    if group.permissions.exists():
        raise ForbiddenException(
            detail="This group grants permissions; it is managed in the portal, not over SCIM."
        )


def replace_user(
    user: User,
    resource: UserResource,
    client: ProvisioningClient | None,
    request: HttpRequest | None = None,
) -> User:
    """PUT (RFC 7644 §3.5.1), and the result of a PATCH: the kept attributes become those of
    ``resource``, with what a change of ``active`` or of the address brings.
    ForbiddenException for a staff account."""
    _guard_user(user)
    was_active, old_email = _write_user(user, user_row(user), resource)
    if was_active is not None:
        _apply_active(user, not was_active, client, request)
    if old_email is not None:
        _apply_email_change(user, client, request)
    return user


def delete_user(
    user: User, client: ProvisioningClient | None, request: HttpRequest | None = None
) -> None:
    """DELETE (RFC 7644 §3.6): deactivated and deleted like a self-deletion, the audit trail
    kept under a pseudonym (accounts.lifecycle.pseudonymise_and_delete). ForbiddenException
    for a staff account."""
    _guard_user(user)
    pseudonymise_and_delete(user, actor=None, reason=_reason(client), request=request)


# --- Groups ------------------------------------------------------------------------------


def _members(resource: GroupResource) -> list[User]:
    ids = []
    for member in resource.members or []:
        try:
            ids.append(uuid.UUID(str(member.value)))
        except ValueError as exc:
            raise InvalidValueException(detail=f"No user has the id {member.value!r}.") from exc
    rows = {
        row.scim_id: row.user
        for row in ScimUser.objects.filter(scim_id__in=ids).select_related("user")
    }
    missing = [str(i) for i in ids if i not in rows]
    if missing:
        raise InvalidValueException(detail=f"No user has the id {missing[0]!r}.")
    return list(rows.values())


def _write_group(group: DjangoGroup, row: ScimGroup, resource: GroupResource) -> DjangoGroup:
    name = (resource.display_name or "").strip()
    if not name:
        raise InvalidValueException(detail="displayName is required.")
    if len(name) > 150:
        raise InvalidValueException(detail="displayName is longer than 150 characters.")
    if DjangoGroup.objects.filter(name__iexact=name).exclude(pk=group.pk).exists():
        raise UniquenessException(detail=f"A group named {name!r} already exists.")
    members = _members(resource)
    group.name = name
    adding = group.pk is None
    try:
        group.save()  # as for users: checked above, a race rolls the whole request back
    except IntegrityError as exc:
        raise UniquenessException(detail=f"A group named {name!r} already exists.") from exc
    group.user_set.set(members)
    row.group = group
    row.external_id = resource.external_id or ""
    row.modified_at = timezone.now()
    row.save(force_insert=adding)
    group.scim = row
    return group


def create_group(resource: GroupResource) -> DjangoGroup:
    """A new Django group (RFC 7644 §3.3), with its members."""
    return _write_group(DjangoGroup(), ScimGroup(), resource)


def replace_group(group: DjangoGroup, resource: GroupResource) -> DjangoGroup:
    """PUT or PATCH result for a group: name, external id and members. ForbiddenException for
    a group that grants permissions."""
    _guard_group(group)
    return _write_group(group, group_row(group), resource)


def delete_group(group: DjangoGroup) -> None:
    """DELETE: the group goes; its members stay. ForbiddenException for a group that grants
    permissions."""
    _guard_group(group)
    group.delete()


def find_user(scim_id: str) -> User:
    """The user whose SCIM id is ``scim_id``; NotFoundException otherwise (also for a
    malformed id)."""
    try:
        key = uuid.UUID(scim_id)
    except ValueError:
        raise NotFoundException(detail=f"Resource {scim_id} not found") from None
    user = User.objects.filter(scim__scim_id=key).first()
    if user is None:
        raise NotFoundException(detail=f"Resource {scim_id} not found")
    return user


def find_group(scim_id: str) -> DjangoGroup:
    """The group whose SCIM id is ``scim_id``; NotFoundException otherwise."""
    try:
        key = uuid.UUID(scim_id)
    except ValueError:
        raise NotFoundException(detail=f"Resource {scim_id} not found") from None
    group = DjangoGroup.objects.filter(scim__scim_id=key).first()
    if group is None:
        raise NotFoundException(detail=f"Resource {scim_id} not found")
    return group


def ensure_rows() -> None:
    """Gives every user and group made outside SCIM its SCIM row, so that lists and filters
    see them."""
    missing_users = User.objects.filter(scim__isnull=True).values_list("pk", "date_joined")
    ScimUser.objects.bulk_create(
        [
            ScimUser(user_id=pk, created_at=joined, modified_at=joined)
            for pk, joined in missing_users
        ],
        ignore_conflicts=True,
    )
    missing_groups = DjangoGroup.objects.filter(scim__isnull=True).values_list("pk", flat=True)
    ScimGroup.objects.bulk_create(
        [ScimGroup(group_id=pk) for pk in missing_groups], ignore_conflicts=True
    )
