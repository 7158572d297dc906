"""Test signing keys and Google-style ID tokens signed with them."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

AUDIENCE = "1234-test.apps.googleusercontent.com"
ISSUER = "https://accounts.google.com"
DOMAIN = "example.co.jp"
EMAIL = "tanaka@example.co.jp"


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    private_pem: str
    certificate_pem: str

    def sign(self, **overrides: Any) -> str:
        """Return an ID token with Google's claims; ``overrides`` replace or drop (None) claims."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "110000000000000000001",
            "email": EMAIL,
            "email_verified": True,
            "hd": DOMAIN,
            "iat": now,
            "exp": now + 3600,
        }
        claims.update(overrides)
        claims = {key: value for key, value in claims.items() if value is not None}
        signer = crypt.RSASigner.from_string(self.private_pem, key_id=self.key_id)
        return jwt.encode(signer, claims).decode()


def make_key(key_id: str) -> SigningKey:
    """Create an RSA key and a self-signed certificate, as Google's v1 certs endpoint serves."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test.googleusercontent.com")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return SigningKey(key_id, private_pem, certificate_pem)
