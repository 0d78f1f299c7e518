"""Sealed bids: envelope encryption whose opening key is unwrapped only when the bids are opened."""

# Each competition gets an X25519 key pair at publication; the private half is wrapped (AES-256-GCM)
# under a key derived from the master key. Each bid version is encrypted (AES-256-GCM, fresh nonce,
# bid id and version as associated data) under a one-off key agreed with the public half, so
# submitting needs no secret for that copy (see docs/decisions/0003-bid-sealing.md). A second copy,
# for the submitting supplier to read back before the deadline, is encrypted under a key derived from
# the master key, the supplier, the bid and the version.

import functools
import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from procurement.core.settings import Settings, key_bytes

SCHEME = "x25519-hkdf-sha256-aes256gcm/v1"
_RAW = serialization.Encoding.Raw
_WRAP_INFO = b"dpr bid sealing: wrap competition opening key v1"
_DATA_INFO = b"dpr bid sealing: bid version data key v1"
_COPY_INFO = b"dpr bid sealing: supplier copy key v1"


class SealingError(RuntimeError):
    """A sealed bid or wrapped key does not decrypt: wrong master key, or the stored bytes changed."""


@dataclass(frozen=True)
class CompetitionKeys:
    """What is stored per competition: the public key in clear and the wrapped private key."""

    public_key: bytes
    wrapped_private_key: bytes
    wrap_nonce: bytes


@dataclass(frozen=True)
class SealedBid:
    """One encrypted bid version."""

    ciphertext: bytes
    nonce: bytes
    ephemeral_public_key: bytes


def _wrapping_key(settings: Settings) -> bytes:
    master = key_bytes(settings.sealing_key, name="sealing_key")
    # Derived rather than used directly, so the master key is never an AES key for anything else.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_WRAP_INFO).derive(master)


def new_competition_keys(settings: Settings, *, competition_id: uuid.UUID) -> CompetitionKeys:
    """A fresh key pair for a competition, its private half wrapped by the master key."""
    private = X25519PrivateKey.generate()
    raw_private = private.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    nonce = os.urandom(12)
    wrapped = AESGCM(_wrapping_key(settings)).encrypt(nonce, raw_private, competition_id.bytes)
    return CompetitionKeys(
        public_key=private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw),
        wrapped_private_key=wrapped,
        wrap_nonce=nonce,
    )


def _associated_data(bid_id: uuid.UUID, version: int) -> bytes:
    # Binds the ciphertext to its row: a version copied onto another bid or version will not decrypt.
    return bid_id.bytes + version.to_bytes(4, "big")


def _data_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral_public + recipient_public, info=_DATA_INFO
    ).derive(shared)


@functools.lru_cache(maxsize=256)
def _recipient(public_key: bytes) -> X25519PublicKey:
    # A burst seals many bids for a few competitions: parse each public key once.
    return X25519PublicKey.from_public_bytes(public_key)


def seal(plaintext: bytes, *, public_key: bytes, bid_id: uuid.UUID, version: int) -> SealedBid:
    """Encrypt one bid version for the competition's opening key."""
    recipient = _recipient(bytes(public_key))
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    key = _data_key(ephemeral.exchange(recipient), ephemeral_public, public_key)
    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _associated_data(bid_id, version))
    return SealedBid(ciphertext=ciphertext, nonce=nonce, ephemeral_public_key=ephemeral_public)


@dataclass(frozen=True)
class OpeningKey:
    """The unwrapped private key of one competition; exists only while its bids are being opened."""

    private: X25519PrivateKey
    public_key: bytes

    def open(self, sealed: SealedBid, *, bid_id: uuid.UUID, version: int) -> bytes:
        """Decrypt one bid version."""
        peer = X25519PublicKey.from_public_bytes(sealed.ephemeral_public_key)
        key = _data_key(self.private.exchange(peer), sealed.ephemeral_public_key, self.public_key)
        try:
            return AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, _associated_data(bid_id, version))
        except InvalidTag as exc:
            raise SealingError(f"bid {bid_id} version {version} does not decrypt") from exc


def unwrap_opening_key(settings: Settings, keys: CompetitionKeys, *, competition_id: uuid.UUID) -> OpeningKey:
    """Unwrap a competition's private key: call only when opening after the deadline."""
    try:
        raw = AESGCM(_wrapping_key(settings)).decrypt(
            keys.wrap_nonce, keys.wrapped_private_key, competition_id.bytes
        )
    except InvalidTag as exc:
        raise SealingError(
            f"the opening key of competition {competition_id} does not unwrap (wrong DPR_SEALING_KEY?)"
        ) from exc
    return OpeningKey(private=X25519PrivateKey.from_private_bytes(raw), public_key=keys.public_key)


@functools.lru_cache(maxsize=4)
def _copy_root(master: bytes) -> bytes:
    # Derived once per master key: only the per-version step below runs on every submission.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_COPY_INFO).derive(master)


def _copy_key(settings: Settings, *, supplier_id: uuid.UUID, bid_id: uuid.UUID, version: int) -> AESGCM:
    root = _copy_root(key_bytes(settings.sealing_key, name="sealing_key"))
    info = _COPY_INFO + _copy_binding(supplier_id, bid_id, version)
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(root))


def _copy_binding(supplier_id: uuid.UUID, bid_id: uuid.UUID, version: int) -> bytes:
    # Key and associated data name the supplier, bid and version: a copy moved to another row fails.
    return supplier_id.bytes + _associated_data(bid_id, version)


def seal_supplier_copy(
    settings: Settings, plaintext: bytes, *, supplier_id: uuid.UUID, bid_id: uuid.UUID, version: int
) -> bytes:
    """The submitting supplier's copy of one bid version: a 96-bit nonce followed by the ciphertext."""
    nonce = os.urandom(12)
    aead = _copy_key(settings, supplier_id=supplier_id, bid_id=bid_id, version=version)
    return nonce + aead.encrypt(nonce, plaintext, _copy_binding(supplier_id, bid_id, version))


def open_supplier_copy(
    settings: Settings, sealed: bytes, *, supplier_id: uuid.UUID, bid_id: uuid.UUID, version: int
) -> bytes:
    """Decrypt a supplier's copy: call only for that supplier, before the deadline."""
    aead = _copy_key(settings, supplier_id=supplier_id, bid_id=bid_id, version=version)
    try:
        return aead.decrypt(sealed[:12], sealed[12:], _copy_binding(supplier_id, bid_id, version))
    except InvalidTag as exc:
        raise SealingError(f"the supplier's copy of bid {bid_id} version {version} does not decrypt") from exc
