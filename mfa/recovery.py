"""Recovery codes: 10 single-use codes, stored as HMACs, shown once, regenerable."""

import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import User
from mfa.models import RecoveryCode

# No 0/o, 1/l/i: codes are copied from paper. 10 characters of 31 = about 50 bits each.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 10


def _hash(user: User, code: str) -> str:
    return salted_hmac(f"mfa.recovery.{user.pk}", code, algorithm="sha256").hexdigest()


def normalize(typed: str) -> str:
    """What people type back: any case, with or without the dash and spaces."""
    return "".join(ch for ch in typed.lower() if ch not in " -")


def format_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def generate(user: User) -> list[str]:
    """Replaces the user's set with a new one and returns the codes, for showing once."""
    codes = [
        "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        for _ in range(settings.MFA_RECOVERY_CODE_COUNT)
    ]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=_hash(user, code)) for code in codes
        )
    return [format_code(code) for code in codes]


def unused_codes() -> QuerySet[RecoveryCode]:
    return RecoveryCode.objects.filter(used_at__isnull=True)


def remaining(user: User) -> int:
    return unused_codes().filter(user=user).count()


def use_code(user: User, typed: str) -> bool:
    """Uses up a matching unused code; the rows are locked so a code works exactly once."""
    code = normalize(typed)
    if len(code) != CODE_LENGTH:
        return False
    wanted = _hash(user, code)
    with transaction.atomic():
        for row in RecoveryCode.objects.select_for_update().filter(user=user, used_at__isnull=True):
            if hmac.compare_digest(row.code_hash, wanted):
                row.used_at = timezone.now()
                row.save(update_fields=["used_at"])
                return True
    return False
