"""System checks for the accounts settings (design.md § Security defaults)."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from accounts.hashers import argon2_parameters, meets_owasp_minimum


@register("security", deploy=True)
def check_argon2_cost(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Warns (under `check --deploy`) when the Argon2id cost is below OWASP's minimum."""
    time_cost, memory_kib, parallelism = argon2_parameters()
    if meets_owasp_minimum(time_cost, memory_kib) and parallelism >= 1:
        return []
    return [
        Warning(
            f"Argon2id cost t={time_cost}, m={memory_kib} KiB, p={parallelism} is below OWASP's "
            "minimum (t=2 with m=19456 KiB, or an equivalent pair).",
            hint="Raise ACCOUNTS_ARGON2_TIME_COST / ACCOUNTS_ARGON2_MEMORY_KIB.",
            id="accounts.W001",
        )
    ]


@register()
def check_signup_policy(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """ACCOUNTS_SIGNUP must be closed, open or domains; domains needs ACCOUNTS_SIGNUP_DOMAINS."""
    mode = settings.ACCOUNTS_SIGNUP
    if mode not in ("closed", "open", "domains"):
        return [
            Error(
                f"ACCOUNTS_SIGNUP is {mode!r}; use closed, open or domains.",
                id="accounts.E010",
            )
        ]
    if mode == "domains" and not settings.ACCOUNTS_SIGNUP_DOMAINS:
        return [
            Error(
                "ACCOUNTS_SIGNUP=domains but ACCOUNTS_SIGNUP_DOMAINS is empty: none may register.",
                hint="List the e-mail domains, e.g. ACCOUNTS_SIGNUP_DOMAINS=example.go.id",
                id="accounts.E011",
            )
        ]
    return []
