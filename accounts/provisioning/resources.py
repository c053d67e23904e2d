"""Portal users and groups as SCIM resources, through scim2-models (RFC 7643).

Reading: a user or group becomes a scim2-models ``User[EnterpriseUser]`` or ``Group``, dumped
in the response context. Writing: a request body is validated by scim2-models in its request
context (RFC 7644 §3.2) and the attributes the portal keeps are copied onto the rows. The
``/Schemas`` documents publish exactly those attributes (RFC 7643 §7), so that a client knows
what it can write and read back; the others of the core schemas are accepted and ignored.
"""

import hashlib
import json
from typing import Any

from django.contrib.auth.models import Group as DjangoGroup
from django.urls import reverse
from scim2_models import (
    Context,
    Email,
    EnterpriseUser,
    Group,
    GroupMember,
    GroupMembership,
    Meta,
    Name,
    Required,
    Schema,
    User,
)

from accounts.language import spoken_language
from accounts.models import User as PortalUser
from accounts.provisioning.models import ScimGroup, ScimUser

UserResource = User[EnterpriseUser]
GroupResource = Group

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# What the portal keeps of each schema: attribute -> kept sub-attributes (None: simple).
USER_ATTRIBUTES: dict[str, set[str] | None] = {
    "userName": None,
    "name": {"formatted", "familyName", "givenName"},
    "displayName": None,
    "active": None,
    "emails": {"value", "type", "primary"},
    "preferredLanguage": None,
    "groups": {"value", "$ref", "display", "type"},
}
ENTERPRISE_ATTRIBUTES: dict[str, set[str] | None] = {"employeeNumber": None, "department": None}
GROUP_ATTRIBUTES: dict[str, set[str] | None] = {
    "displayName": None,
    "members": {"value", "$ref", "type"},
}


def _trimmed(schema: Schema, kept: dict[str, set[str] | None]) -> Schema:
    attributes = []
    for attribute in schema.attributes or []:
        if attribute.name not in kept:
            continue
        sub_kept = kept[attribute.name]
        if sub_kept is not None and attribute.sub_attributes:
            attribute.sub_attributes = [a for a in attribute.sub_attributes if a.name in sub_kept]
        attributes.append(attribute)
    schema.attributes = attributes
    return schema


def schema_documents() -> list[dict[str, Any]]:
    """The /Schemas resources: the core User and Group and the enterprise extension, trimmed to
    what the portal keeps (RFC 7643 §7). Group members are users. Every account is active or
    not, so ``active`` is published as required: it can be replaced, never removed (a body
    without it keeps the account as it is)."""
    group = _trimmed(Group.to_schema(), GROUP_ATTRIBUTES)
    user = _trimmed(User.to_schema(), USER_ATTRIBUTES)
    for attribute in user.attributes or []:
        if attribute.name == "active":
            attribute.required = Required.true
    for attribute in group.attributes or []:
        if attribute.name == "members":
            for sub in attribute.sub_attributes or []:
                if sub.name == "$ref":
                    sub.reference_types = ["User"]
                if sub.name == "type":
                    sub.canonical_values = ["User"]
    documents = [
        user,
        _trimmed(EnterpriseUser.to_schema(), ENTERPRISE_ATTRIBUTES),
        group,
    ]
    return [document.model_dump() for document in documents]


def location(base_url: str, name: str, scim_id: object) -> str:
    """The absolute URL of one resource (``meta.location``)."""
    return base_url.rstrip("/") + reverse(name, kwargs={"uuid": str(scim_id)})


def user_row(user: PortalUser) -> ScimUser:
    """The SCIM row of ``user``, made on first use for accounts that did not come over SCIM."""
    try:
        return user.scim
    except ScimUser.DoesNotExist:
        row, _ = ScimUser.objects.get_or_create(
            user=user, defaults={"created_at": user.date_joined, "modified_at": user.date_joined}
        )
        return row


def group_row(group: DjangoGroup) -> ScimGroup:
    """The SCIM row of ``group``, made on first use for groups made in Django admin."""
    try:
        return group.scim
    except ScimGroup.DoesNotExist:
        row, _ = ScimGroup.objects.get_or_create(group=group)
        return row


def _version(payload: dict[str, Any]) -> str:
    """A weak entity tag over the representation (RFC 7644 §3.14, RFC 7232 §2.3)."""
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    return f'W/"{digest[:20]}"'


def preferred_language_of(user: PortalUser, row: ScimUser) -> str:
    """``preferredLanguage`` as a client reads it: what it sent, while that still names the
    account's preferred language (or none the portal speaks); else the account's own (changed
    since on the Profile or in the header's language menu), "" when there is none."""
    sent = row.preferred_language
    if sent and spoken_language(sent) in ("", user.preferred_language):
        return sent
    return user.preferred_language


def user_resource(user: PortalUser, base_url: str) -> UserResource:
    """``user`` as a SCIM User with the enterprise extension; ``meta.version`` is its ETag."""
    row = user_row(user)
    name = None
    if row.given_name or row.family_name or row.formatted_name:
        name = Name(
            formatted=row.formatted_name or None,
            family_name=row.family_name or None,
            given_name=row.given_name or None,
        )
    groups = [
        GroupMembership(
            value=str(group_row(group).scim_id),
            ref=location(base_url, "scim:groups", group_row(group).scim_id),
            display=group.name,
            type="direct",
        )
        for group in user.groups.all().select_related("scim")
    ]
    resource = UserResource(
        id=str(row.scim_id),
        external_id=row.external_id or None,
        user_name=user.username,
        name=name,
        display_name=user.full_name or None,
        active=user.is_active,
        preferred_language=preferred_language_of(user, row) or None,
        emails=[Email(value=user.email, type=row.email_type or None, primary=row.email_primary)]
        if user.email
        else None,
        groups=groups or None,
    )
    if row.employee_number or row.department:
        resource[EnterpriseUser] = EnterpriseUser(
            employee_number=row.employee_number or None, department=row.department or None
        )
    resource.meta = Meta(
        resource_type="User",
        created=row.created_at,
        last_modified=row.modified_at,
        location=location(base_url, "scim:users", row.scim_id),
        version=_version(resource.model_dump(scim_ctx=Context.DEFAULT)),
    )
    return resource


def group_resource(group: DjangoGroup, base_url: str) -> GroupResource:
    """``group`` as a SCIM Group whose members are its users."""
    row = group_row(group)
    members = [
        GroupMember(
            value=str(user_row(user).scim_id),
            ref=location(base_url, "scim:users", user_row(user).scim_id),
            type="User",
        )
        for user in group.user_set.all().select_related("scim").order_by("pk")
    ]
    resource = GroupResource(
        id=str(row.scim_id),
        external_id=row.external_id or None,
        display_name=group.name,
        members=members or None,
    )
    resource.meta = Meta(
        resource_type="Group",
        created=row.created_at,
        last_modified=row.modified_at,
        location=location(base_url, "scim:groups", row.scim_id),
        version=_version(resource.model_dump(scim_ctx=Context.DEFAULT)),
    )
    return resource
