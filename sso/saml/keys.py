"""The IdP's signing key and certificate: made for development, read from files otherwise."""

import datetime
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

KEY_SIZE = 3072
CERT_VALID_DAYS = 3650


def new_key_and_certificate(common_name: str) -> tuple[str, str]:
    """A fresh RSA key (PKCS#8 PEM) and a self-signed certificate for it (PEM).

    SAML trusts the certificate published in metadata, not a CA chain (SAML V2.0 Metadata
    Interoperability Profile §2.5), so self-signed is the norm for an IdP.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CERT_VALID_DAYS))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def write_key_files(key_path: Path, cert_path: Path, common_name: str) -> bool:
    """Creates both files (the key readable by its owner only); False if the key exists."""
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    key_pem, cert_pem = new_key_and_certificate(common_name)
    with os.fdopen(fd, "w") as handle:
        handle.write(key_pem)
    cert_path.write_text(cert_pem)
    return True


def certificate_body(pem: str) -> str:
    """The base64 body of a PEM certificate, as metadata's ds:X509Certificate holds it."""
    lines = [line.strip() for line in pem.strip().splitlines()]
    return "".join(line for line in lines if line and not line.startswith("-----"))
