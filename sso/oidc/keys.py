"""The RS256 key that signs ID tokens: made for development, read from settings otherwise."""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_SIZE = 2048


def new_private_key_pem() -> str:
    """A fresh RSA private key in PKCS#8 PEM, as DOT's OIDC_RSA_PRIVATE_KEY wants it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode()


def write_key_file(path: Path) -> bool:
    """Creates ``path`` with a new key, readable by its owner only; False if it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(new_private_key_pem())
    return True
