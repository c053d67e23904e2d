"""Admin's Reset MFA reaches the passkeys through ``MFA_RESET_HOOKS``."""

import logging

from accounts.models import User
from mfa.passkeys.models import Challenge, Passkey

logger = logging.getLogger(__name__)


def delete_all_passkeys(user: User) -> None:
    """Every passkey of ``user`` and their open challenges go (the user handle stays)."""
    deleted, _ = Passkey.objects.filter(user=user).delete()
    Challenge.objects.filter(user=user).delete()
    logger.info("reset: %s passkeys of user %s deleted", deleted, user.pk)
