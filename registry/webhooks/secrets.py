"""Webhook signing secrets: made here, shown once, kept encrypted under a key derived from the sealing key."""

import base64
import os
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from procurement.core.settings import Settings, key_bytes

PREFIX = "whsec_"
_INFO = b"dpr webhook signing secrets v1"


def new_secret() -> str:
    """A fresh secret in the Standard Webhooks spelling: 'whsec_' and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    """The HMAC key a secret stands for."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def _key(settings: Settings) -> AESGCM:
    master = key_bytes(settings.sealing_key, name="sealing_key")
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(master))


def seal(settings: Settings, secret: str) -> bytes:
    """The secret encrypted for storage (a database dump alone cannot sign as the service)."""
    nonce = os.urandom(12)
    return nonce + _key(settings).encrypt(nonce, secret.encode(), _INFO)


def unseal(settings: Settings, blob: bytes) -> str:
    """The stored secret in clear, for signing a delivery."""
    return _key(settings).decrypt(blob[:12], blob[12:], _INFO).decode()
