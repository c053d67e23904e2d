"""Seeds a peer's database with accounts that have an authenticator (TOTP); prints them as JSON.

Run by ``bench.peers.run`` with the peer's own Python and settings:

    var/peers/allauth/bin/python -m bench.peers.seed 600 > accounts.json

Every account has the bench password, hashed once (as bench/seed.py does for the portal) with
the peer's hasher: the sign-in verifies it at full cost, seeding does not pay a hash per account.
"""

import json
import secrets
import sys
from base64 import b32encode

import django


def main() -> None:
    count = int(sys.argv[1])
    password = sys.argv[2]
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    encoded = make_password(password)
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"p{i:05d}", email=f"p{i:05d}@bench.invalid", password=encoded)
        for i in range(count)
    )
    keys = [secrets.token_bytes(20) for _ in users]
    if "allauth.mfa" in settings.INSTALLED_APPS:
        from allauth.mfa.models import Authenticator

        # allauth.mfa.totp.internal.auth.TOTP.activate stores {"secret": base32}.
        Authenticator.objects.bulk_create(
            Authenticator(user=u, type=Authenticator.Type.TOTP, data={"secret": b32(k)})
            for u, k in zip(users, keys, strict=True)
        )
    else:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        # two_factor asks the device named "default" for the code (two_factor.utils).
        TOTPDevice.objects.bulk_create(
            TOTPDevice(user=u, name="default", confirmed=True, key=k.hex())
            for u, k in zip(users, keys, strict=True)
        )
    json.dump([[u.username, b32(k)] for u, k in zip(users, keys, strict=True)], sys.stdout)


def b32(key: bytes) -> str:
    return b32encode(key).decode()


if __name__ == "__main__":
    main()
