"""Password hashers: Argon2id at OWASP's parameters, and a fast one for random client secrets.

design.md § Security defaults: Argon2id with t=2, m=19 MiB, p=1 by default (OWASP Password
Storage Cheat Sheet), each settable. Django re-hashes a stored password whose parameters differ
from these at the next successful sign-in (`AbstractBaseUser.check_password` → `must_update`),
so raising or lowering them upgrades accounts as people sign in.

Relying applications' client secrets are 40+ random characters drawn by the portal: guessing one
is out of reach whatever the hash, so a slow hash only costs CPU on every token request
(django-oauth-toolkit's CLIENT_SECRET_HASHER). They get a salted SHA-256 instead.
"""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_noop

# OWASP Password Storage Cheat Sheet, Argon2id: equivalent minimum (memory KiB, iterations) pairs.
OWASP_ARGON2_MINIMUMS: tuple[tuple[int, int], ...] = (
    (47104, 1),
    (19456, 2),
    (12288, 3),
    (9216, 4),
    (7168, 5),
)


def argon2_parameters() -> tuple[int, int, int]:
    """The configured Argon2id cost as (time_cost, memory_kib, parallelism).

    Reads ACCOUNTS_ARGON2_TIME_COST (default 2), ACCOUNTS_ARGON2_MEMORY_KIB (default 19456 =
    19 MiB) and ACCOUNTS_ARGON2_PARALLELISM (default 1) at call time, so tests may override them.
    """
    return (
        int(getattr(settings, "ACCOUNTS_ARGON2_TIME_COST", 2)),
        int(getattr(settings, "ACCOUNTS_ARGON2_MEMORY_KIB", 19456)),
        int(getattr(settings, "ACCOUNTS_ARGON2_PARALLELISM", 1)),
    )


def meets_owasp_minimum(time_cost: int, memory_kib: int) -> bool:
    """True when (time_cost, memory_kib) is at least one of OWASP's equivalent Argon2id minimums."""
    return any(memory_kib >= m and time_cost >= t for m, t in OWASP_ARGON2_MINIMUMS)


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Django's Argon2id hasher (same `argon2$` format) with the cost taken from settings."""

    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return argon2_parameters()[0]

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return argon2_parameters()[1]

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        return argon2_parameters()[2]


class RandomSecretHasher(BasePasswordHasher):
    """Salted HMAC-SHA256 for high-entropy secrets the portal draws itself (client secrets).

    Never for passwords a person chooses: those need Argon2id. Format `secret_sha256$salt$hex`.
    """

    algorithm = "secret_sha256"

    def encode(self, password: str, salt: str) -> str:
        self._check_encode_args(password, salt)
        digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict[str, str]:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict[str, str]:
        decoded = self.decode(encoded)
        return {
            gettext_noop("algorithm"): decoded["algorithm"],
            gettext_noop("salt"): mask_hash(decoded["salt"], show=2),
            gettext_noop("hash"): mask_hash(decoded["hash"]),
        }

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass
