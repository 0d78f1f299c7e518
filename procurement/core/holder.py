"""Holder keys: a secret of a token's holder that the server can use only while the token is presented.

Each API token carries its principal's holder key wrapped under a key derived from the token itself
(the server keeps only the token's SHA-256, so neither a dump nor a server-side secret unwraps it).
Tokens a principal makes for itself share its holder key; a token made for it by anyone else gets a
fresh one, so it opens nothing sealed before it. Seal to a holder with its public key; open with the key.
"""

import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
WRAPPED_BYTES = 12 + KEY_BYTES + 16  # nonce, key, GCM tag
_RAW = serialization.Encoding.Raw
_WRAP_INFO = b"dpr holder key: wrap under a token v1"
_X25519_INFO = b"dpr holder key: x25519 v1"
_SEAL_INFO = b"dpr holder key: sealed to a holder v1"


class HolderKeyError(RuntimeError):
    """A sealed value does not open with the presented holder key."""


def _derive(secret: bytes, info: bytes, salt: bytes | None = None) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(secret)


def new_key() -> bytes:
    """A fresh holder key."""
    return os.urandom(KEY_BYTES)


def wrap(*, token: str, token_id: uuid.UUID, key: bytes) -> bytes:
    """The holder key under a key only the token's bearer can derive (the token id as associated data)."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_derive(token.encode(), _WRAP_INFO)).encrypt(nonce, key, token_id.bytes)


def unwrap(*, token: str, token_id: uuid.UUID, wrapped: bytes) -> bytes | None:
    """The holder key from a token's wrap; None when it does not open (not this token's wrap)."""
    try:
        return AESGCM(_derive(token.encode(), _WRAP_INFO)).decrypt(wrapped[:12], wrapped[12:], token_id.bytes)
    except (InvalidTag, ValueError):
        return None


def derive(key: bytes, *, info: bytes) -> bytes:
    """A sub-key of a holder key for one purpose (e.g. one bid version's read-back copy)."""
    return _derive(key, info)


def _private(key: bytes) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(_derive(key, _X25519_INFO))


def public_key(key: bytes) -> bytes:
    """The X25519 public key of a holder key: anyone may seal to it, only the holder opens."""
    return _private(key).public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)


def seal_to(recipient: bytes, plaintext: bytes, *, context: bytes) -> bytes:
    """Encrypt for a holder's public key: ephemeral public key, nonce, then the ciphertext."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    nonce = os.urandom(12)
    key = _derive(shared, _SEAL_INFO, salt=ephemeral_public + recipient)
    return ephemeral_public + nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def open_sealed(key: bytes, sealed: bytes, *, context: bytes) -> bytes:
    """Decrypt what was sealed to this holder key's public key."""
    private = _private(key)
    recipient = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    ephemeral_public, nonce, ciphertext = sealed[:32], sealed[32:44], sealed[44:]
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    try:
        return AESGCM(_derive(shared, _SEAL_INFO, salt=ephemeral_public + recipient)).decrypt(
            nonce, ciphertext, context
        )
    except InvalidTag as exc:
        raise HolderKeyError("the sealed value does not open with this holder key") from exc
