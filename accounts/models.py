"""The portal's user account."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PortalUserManager(UserManager):
    """Finds accounts by username regardless of letter case, as people type them."""

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A person who signs in to the portal.

    One ``full_name`` replaces Django's first/last name pair: Indonesian names often have a
    single part, and the portal only ever shows the name whole.
    """

    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]

    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    # Set when too many wrong passwords were tried (accounts.lockout); cleared by an admin's
    # Unlock or when it runs out. Kept here so admins can see and filter locked accounts.
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    objects = PortalUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # "Ani" and "ani" are one person: sign-in matches usernames case-insensitively.
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    def get_full_name(self) -> str:
        return self.full_name.strip() or self.username

    def get_short_name(self) -> str:
        return self.get_full_name()

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()
