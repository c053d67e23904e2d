"""Service providers registered by admins, the pseudonyms they know users by, and the SAML
sessions the portal session opened (for Single Logout)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"


class ServiceProvider(models.Model):
    """A SAML 2.0 service provider (a relying app that does not speak OpenID Connect).

    ``metadata_xml`` is the SP's metadata as uploaded or fetched; entity ID, ACS URLs, logout
    URLs and certificates are read from it (never typed in separately, so they cannot drift).
    """

    class NameIdFormat(models.TextChoices):
        PERSISTENT = NAMEID_PERSISTENT, _("Persistent pseudonym (recommended)")
        EMAIL = NAMEID_EMAIL, _("E-mail address")
        USERNAME = NAMEID_UNSPECIFIED, _("Username")

    class Attribute(models.TextChoices):
        USERNAME = "username", _("Username")
        NAME = "name", _("Full name")
        EMAIL = "email", _("E-mail address")
        GROUPS = "groups", _("Groups")

    name = models.CharField(_("name"), max_length=150)
    entity_id = models.CharField(_("entity ID"), max_length=1024, unique=True)
    metadata_url = models.URLField(
        _("metadata URL"),
        blank=True,
        help_text=_("Where the service provider publishes its metadata (read when saved)."),
    )
    metadata_xml = models.TextField(_("metadata XML"))
    name_id_format = models.CharField(
        _("NameID format"),
        max_length=100,
        choices=NameIdFormat.choices,
        default=NameIdFormat.PERSISTENT,
        help_text=_(
            "Persistent: a random identifier per user and application, which tells the "
            "application nothing else about the person."
        ),
    )
    released_attributes = models.JSONField(
        _("released attributes"),
        default=list,
        blank=True,
        help_text=_("What the application learns about the user, besides the NameID."),
    )
    mfa_required = models.BooleanField(
        _("MFA required"),
        default=False,
        help_text=_("Users must have passed a second factor (or a passkey) to open it."),
    )
    require_signed_requests = models.BooleanField(
        _("require signed requests"),
        default=True,
        help_text=_(
            "Refuse authentication requests that are not signed. Logout requests must always be"
            " signed."
        ),
    )
    encrypt_assertions = models.BooleanField(
        _("encrypt assertions"),
        default=False,
        help_text=_("Encrypt the assertion with the certificate in the metadata."),
    )
    launch_url = models.URLField(
        _("home page URL"),
        blank=True,
        help_text=_(
            "Empty: Home opens the application by IdP-initiated sign-in (an unsolicited "
            "response to its first ACS URL)."
        ),
    )
    is_listed = models.BooleanField(_("listed on Home"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SAML service provider")
        verbose_name_plural = _("SAML service providers")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name or self.entity_id


def _new_pseudonym() -> str:
    return secrets.token_urlsafe(24)


class Pseudonym(models.Model):
    """The persistent NameID of one user at one service provider (SAML Core §8.3.7): random,
    so that two applications cannot link their users by it, and stable for that pair."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    service_provider = models.ForeignKey(ServiceProvider, on_delete=models.CASCADE)
    value = models.CharField(max_length=64, unique=True, default=_new_pseudonym)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("SAML pseudonym")
        verbose_name_plural = _("SAML pseudonyms")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "service_provider"], name="one_pseudonym_per_sp"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.service_provider}"


class SamlSession(models.Model):
    """One assertion given to one service provider by one portal session (``sid``): what Single
    Logout needs to tell that provider (its NameID and SessionIndex)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    service_provider = models.ForeignKey(ServiceProvider, on_delete=models.CASCADE)
    sid = models.CharField(max_length=64, db_index=True)
    name_id = models.CharField(max_length=255)
    name_id_format = models.CharField(max_length=100)
    session_index = models.CharField(max_length=64, unique=True)
    authn_context = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now_add=True)
    ended = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SAML session")
        verbose_name_plural = _("SAML sessions")

    def __str__(self) -> str:
        return f"{self.user} → {self.service_provider}"
