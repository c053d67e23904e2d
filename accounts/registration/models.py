"""A sign-up waiting for its e-mail address to be verified; the account exists only after."""

import uuid

from django.db import models
from django.utils import timezone


class PendingSignup(models.Model):
    """What a person typed on the registration page, until they open the mailed link.

    No account exists before the address is verified, so an unverified sign-up can neither sign
    in nor hold a username. The password is kept only as its hash (the configured hasher).
    """

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    username = models.CharField(max_length=150)
    full_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField()
    password = models.CharField(max_length=256)
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "accounts"

    def __str__(self) -> str:
        return f"sign-up {self.username} ({self.created_at:%Y-%m-%d %H:%M})"
