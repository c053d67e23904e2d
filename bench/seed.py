"""Accounts for the bench, written with the ORM of the bench's own database.

Every account gets the same password, hashed once with the project's first hasher (Argon2id at
its real parameters) so that a sign-in costs what it costs in production and seeding does not
take an Argon2 hash per account. TOTP keys are random; pyotp computes the codes.
"""

from __future__ import annotations

import secrets
import time
from base64 import b32encode
from dataclasses import dataclass

PASSWORD = "bench-password-" + "correct-horse"
RP_CLIENT_ID = "bench-rp"
RP_REDIRECT_URI = "https://rp.bench.invalid/callback"


@dataclass(frozen=True)
class Account:
    username: str
    email: str
    totp_key: str  # base32, "" for e-mail-only accounts


def setup_django(env: dict[str, str]) -> None:
    """Configures Django in this process with the bench's environment."""
    import os

    import django

    os.environ.update(env)
    django.setup()


def seed_accounts(prefix: str, count: int, *, totp: bool, email: bool) -> list[Account]:
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from accounts.usernames import canonical_username
    from mfa.models import EmailDevice

    encoded = make_password(PASSWORD)
    users = User.objects.bulk_create(
        [
            User(
                username=f"{prefix}{i:05d}",
                # bulk_create skips User.save, which fills the canonical form
                username_canonical=canonical_username(f"{prefix}{i:05d}"),
                email=f"{prefix}{i:05d}@bench.invalid",
                full_name=f"Bench {prefix} {i}",
                password=encoded,
            )
            for i in range(count)
        ]
    )
    accounts = []
    devices = []
    email_devices = []
    for user in users:
        key = secrets.token_bytes(20)
        if totp:
            devices.append(
                TOTPDevice(user=user, name="Authenticator", confirmed=True, key=key.hex())
            )
        if email:
            email_devices.append(
                EmailDevice(user=user, name="Email", email=user.email, confirmed=True)
            )
        accounts.append(Account(user.username, user.email, b32encode(key).decode() if totp else ""))
    TOTPDevice.objects.bulk_create(devices)
    EmailDevice.objects.bulk_create(email_devices)
    return accounts


def seed_relying_app() -> str:
    """A public client (PKCE, no secret) that skips consent, as a first-party app would."""
    from sso.oidc.models import Application

    Application.objects.update_or_create(
        client_id=RP_CLIENT_ID,
        defaults={
            "name": "Bench relying app",
            "client_type": Application.CLIENT_PUBLIC,
            "client_secret": "",
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "algorithm": Application.RS256_ALGORITHM,
            "redirect_uris": RP_REDIRECT_URI,
            "skip_authorization": True,
        },
    )
    return RP_CLIENT_ID


def argon2_parameters() -> dict[str, object]:
    """The parameters of the project's first password hasher, as it would hash today."""
    from django.contrib.auth.hashers import get_hasher

    hasher = get_hasher("default")
    params = {"hasher": hasher.algorithm}
    if hasher.algorithm == "argon2":
        argon2 = hasher._load_library()
        params.update(
            variant="argon2id" if hasher.params().type == argon2.low_level.Type.ID else "other",
            time_cost=hasher.time_cost,
            memory_cost_kib=hasher.memory_cost,
            parallelism=hasher.parallelism,
        )
    return params


def time_password_verify(rounds: int) -> tuple[list[float], float]:
    """Seconds per ``check_password`` of the bench password against a fresh hash (wall
    clock, each), and the mean CPU seconds of one (all Argon2 threads)."""
    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password(PASSWORD)
    check_password(PASSWORD, encoded)  # warm-up (library load)
    timings = []
    cpu_start = time.process_time()
    for _ in range(rounds):
        start = time.perf_counter()
        assert check_password(PASSWORD, encoded)
        timings.append(time.perf_counter() - start)
    return timings, (time.process_time() - cpu_start) / rounds


def row_counts() -> dict[str, int]:
    """Rows of the tables that grow with sign-ins (soak)."""
    from django.contrib.sessions.models import Session

    from mfa.models import CodeChallenge, TrustedDevice
    from mfa.passkeys.models import Challenge

    return {
        "sessions": Session.objects.count(),
        "code_challenges": CodeChallenge.objects.count(),
        "passkey_challenges": Challenge.objects.count(),
        "trusted_devices": TrustedDevice.objects.count(),
    }
