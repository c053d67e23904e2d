"""Provisioning clients and the SCIM side of users and groups (RFC 7643 §3.1, §4.1, §4.3).

A portal user or a Django group is the resource itself; the rows here only hold what SCIM adds
to it: a stable, server-issued ``id`` (a UUID, unique across every resource type, RFC 7643
§3.1), the client's ``externalId``, the enterprise extension's ``employeeNumber`` and
``department`` (RFC 7643 §4.3) and the ``meta`` timestamps.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProvisioningClient(models.Model):
    """A system of record allowed to call /scim/v2/ with its bearer token.

    Only a SHA-256 digest of the token is kept: the token is 256 random bits, so a fast digest
    is as strong as a slow hash here, and lets the token be looked up in one indexed query.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    # NULL until the first token is issued (unique, so several clients may have none yet).
    token_digest = models.CharField(  # noqa: DJ001
        max_length=64, unique=True, null=True, editable=False
    )
    token_hint = models.CharField(_("token starts with"), max_length=12, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    token_expires_at = models.DateTimeField(
        _("token expires"),
        null=True,
        blank=True,
        help_text=_("After this moment the token is refused. Empty: it does not expire."),
    )
    allowed_networks = models.TextField(
        _("allowed networks"),
        blank=True,
        help_text=_(
            "IP addresses or networks (CIDR), one per line, the client may call from. "
            "Empty: any address."
        ),
    )
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        default=600,
        help_text=_("Calls above this many in one minute are refused with status 429."),
    )
    trusted_for_email = models.BooleanField(
        _("trusted for e-mail addresses"),
        default=False,
        help_text=_(
            "Addresses this client sets are treated as verified. Leave off unless the system "
            "of record verifies them itself."
        ),
    )
    send_invitations = models.BooleanField(
        _("invite new users"),
        default=False,
        help_text=_("Mail every user this client creates an invitation to set a password."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("provisioning client")
        verbose_name_plural = _("provisioning clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ScimUser(models.Model):
    """What SCIM adds to one portal user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim", primary_key=True
    )
    scim_id = models.UUIDField(_("SCIM id"), default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(_("external id"), max_length=255, blank=True, db_index=True)
    # RFC 7643 §4.1.1 "name": the portal keeps one full name (accounts.User.full_name); the
    # parts a client sends are kept here so that it reads back what it wrote.
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    formatted_name = models.CharField(max_length=300, blank=True)
    email_type = models.CharField(max_length=20, blank=True)
    # RFC 7643 §2.4 "primary", as the client last sent it (None: not sent).
    email_primary = models.BooleanField(null=True, blank=True)
    # RFC 7643 §4.1.1 "preferredLanguage" as the client sent it (an Accept-Language value); the
    # account's preferred language is the first of these the portal speaks (flows).
    preferred_language = models.CharField(max_length=100, blank=True)
    employee_number = models.CharField(_("employee number"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=150, blank=True)
    client = models.ForeignKey(
        ProvisioningClient,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("provisioned by"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("SCIM user")
        verbose_name_plural = _("SCIM users")

    def __str__(self) -> str:
        return str(self.scim_id)


class ScimGroup(models.Model):
    """What SCIM adds to one Django group."""

    group = models.OneToOneField(
        "auth.Group", on_delete=models.CASCADE, related_name="scim", primary_key=True
    )
    scim_id = models.UUIDField(_("SCIM id"), default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(_("external id"), max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("SCIM group")
        verbose_name_plural = _("SCIM groups")

    def __str__(self) -> str:
        return str(self.scim_id)
