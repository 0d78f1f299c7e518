"""Webhook signing secrets: made here, shown once, kept encrypted under a key derived from the sealing key."""

import base64
import os
import secrets

from cryptography.exceptions import InvalidTag
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


def _key(master: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(master))


def _keys(settings: Settings) -> list[AESGCM]:
    """The current master key's, then during a rotation the previous one's."""
    masters = [key_bytes(settings.sealing_key, name="sealing_key")]
    if settings.sealing_key_previous is not None:
        masters.append(key_bytes(settings.sealing_key_previous, name="sealing_key_previous"))
    return [_key(m) for m in masters]


def seal(settings: Settings, secret: str) -> bytes:
    """The secret encrypted for storage (a database dump alone cannot sign as the service)."""
    nonce = os.urandom(12)
    return nonce + _keys(settings)[0].encrypt(nonce, secret.encode(), _INFO)


def unseal(settings: Settings, blob: bytes) -> str:
    """The stored secret in clear, for signing a delivery (under either key while one is rotated)."""
    for key in _keys(settings):
        try:
            return key.decrypt(blob[:12], blob[12:], _INFO).decode()
        except InvalidTag:
            continue
    raise InvalidTag("the secret is sealed under neither the current nor the previous sealing key")


def reseal(settings: Settings, blob: bytes) -> bytes | None:
    """The blob sealed under the current key, or None when it already is."""
    try:
        _keys(settings)[0].decrypt(blob[:12], blob[12:], _INFO)
        return None
    except InvalidTag:
        return seal(settings, unseal(settings, blob))
