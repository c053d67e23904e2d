"""What the portal keeps about passkeys: the credentials, the user handles and open challenges."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# WebAuthn L3 §5.4.3: a user handle is at most 64 bytes and should be random, never an
# identifier such as the username or the database key.
USER_HANDLE_BYTES = 64
# WebAuthn L3 §4 "Credential ID": at most 1023 bytes, i.e. 1364 base64url characters.
CREDENTIAL_ID_MAX_CHARS = 1364


class UserHandle(models.Model):
    """The random ``user.id`` every passkey of one account is created with.

    The same handle for all of a user's passkeys lets an authenticator replace an old
    credential of this account instead of piling them up, and lets a usernameless sign-in
    find the account from the ``userHandle`` the authenticator returns.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkey_handle"
    )
    handle = models.BinaryField(unique=True, max_length=USER_HANDLE_BYTES)

    class Meta:
        verbose_name = _("passkey user handle")

    def __str__(self) -> str:
        return str(self.user)

    @classmethod
    def for_user(cls, user: models.Model) -> bytes:
        row, _created = cls.objects.get_or_create(
            user=user, defaults={"handle": secrets.token_bytes(USER_HANDLE_BYTES)}
        )
        return bytes(row.handle)


class Passkey(models.Model):
    """One registered WebAuthn credential ("device" in the INSW manual)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys"
    )
    name = models.CharField(_("device name"), max_length=64)
    # base64url without padding, as the browser's `id`: unique across all users, since a
    # credential id registered twice would let one account claim another's authenticator.
    credential_id = models.CharField(
        _("credential ID"), max_length=CREDENTIAL_ID_MAX_CHARS, unique=True
    )
    public_key = models.BinaryField(_("public key (COSE)"))
    sign_count = models.PositiveBigIntegerField(_("sign count"), default=0)
    transports = models.JSONField(_("transports"), default=list, blank=True)
    aaguid = models.CharField(_("AAGUID"), max_length=36, blank=True)
    backup_eligible = models.BooleanField(_("backup eligible"), default=False)
    backup_state = models.BooleanField(_("backed up"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class Challenge(models.Model):
    """An open WebAuthn challenge: answered at most once, within its life.

    Kept in the database, not only the session, so that "single use" holds even when two
    requests race with the same answer: consuming deletes the row under a lock.
    """

    class Purpose(models.TextChoices):
        REGISTER = "register"
        SIGN_IN = "signin"
        SECOND_FACTOR = "mfa"

    challenge = models.BinaryField()
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # The account the answer must come from. Empty for a usernameless sign-in, and also for a
    # username-first one naming no account: that one can then never succeed.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    usernameless = models.BooleanField(default=False)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.purpose} until {self.expires_at:%H:%M:%S}"
