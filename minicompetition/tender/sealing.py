"""Sealed bids: envelope encryption whose opening key is unwrapped only when the bids are opened."""

# Each competition gets an X25519 key pair at publication. Its private half is split in two shares
# (XOR): one wrapped (AES-256-GCM) under a key derived from the master key, the other sealed to the
# holder key of each officer of the buying authority (procurement.core.holder), so opening needs both
# the server's master key and an officer's token: neither a dump with every server-side secret nor
# an officer alone opens a bid. Each bid version is encrypted (AES-256-GCM, fresh nonce, bid id and
# version as associated data) under a one-off key agreed with the public half, so submitting needs no
# secret for that copy. A second copy, for the submitting supplier to read back before the deadline, is
# encrypted under a key derived from the supplier's holder key, which only its tokens unwrap
# (see docs/decisions/0003-bid-sealing.md).

import functools
import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from procurement.core import holder
from procurement.core.settings import Settings, key_bytes

# v1: the whole private key wrapped by the master key (competitions published before the split).
LEGACY_SCHEME = "x25519-hkdf-sha256-aes256gcm/v1"
SCHEME = "x25519-split-master-officers-aes256gcm/v2"
_RAW = serialization.Encoding.Raw
_WRAP_INFO = b"dpr bid sealing: wrap competition opening key v1"
_DATA_INFO = b"dpr bid sealing: bid version data key v1"
_COPY_INFO = b"dpr bid sealing: supplier copy under the holder key v2"


class SealingError(RuntimeError):
    """A sealed bid or wrapped key does not decrypt: wrong master key, or the stored bytes changed."""


@dataclass(frozen=True)
class CompetitionKeys:
    """What is stored per competition: the public key in clear, the master key's wrapped share (v2; the
    whole private key in v1) and, per officer holder key, the officers' share sealed to it."""

    public_key: bytes
    wrapped_private_key: bytes
    wrap_nonce: bytes
    scheme: str = SCHEME
    officer_shares: dict[bytes, bytes] | None = None


@dataclass(frozen=True)
class SealedBid:
    """One encrypted bid version."""

    ciphertext: bytes
    nonce: bytes
    ephemeral_public_key: bytes


def _derived_wrapping_key(master: bytes) -> bytes:
    # Derived rather than used directly, so the master key is never an AES key for anything else.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_WRAP_INFO).derive(master)


def _wrapping_key(settings: Settings) -> bytes:
    return _derived_wrapping_key(key_bytes(settings.sealing_key, name="sealing_key"))


def _unwrap(settings: Settings, keys: "CompetitionKeys", competition_id: uuid.UUID) -> bytes:
    """The wrapped key (share), under the current master key or, while a rotation runs, the previous one."""
    masters = [key_bytes(settings.sealing_key, name="sealing_key")]
    if settings.sealing_key_previous is not None:
        masters.append(key_bytes(settings.sealing_key_previous, name="sealing_key_previous"))
    for master in masters:
        try:
            return AESGCM(_derived_wrapping_key(master)).decrypt(
                keys.wrap_nonce, keys.wrapped_private_key, competition_id.bytes
            )
        except InvalidTag:
            continue
    raise SealingError(
        f"the opening key of competition {competition_id} does not unwrap (wrong DPR_SEALING_KEY?)"
    )


def _share_context(competition_id: uuid.UUID) -> bytes:
    return b"dpr opening share v2|" + competition_id.bytes


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def new_competition_keys(
    settings: Settings, *, competition_id: uuid.UUID, officer_keys: list[bytes]
) -> CompetitionKeys:
    """A fresh key pair for a competition: one share of the private half wrapped by the master key, the
    other sealed to each officer holder key given (their public keys)."""
    if not officer_keys:
        raise SealingError("no officer holder key to seal the opening share to")
    private = X25519PrivateKey.generate()
    raw_private = private.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    master_share = os.urandom(32)
    officer_share = _xor(raw_private, master_share)
    nonce = os.urandom(12)
    wrapped = AESGCM(_wrapping_key(settings)).encrypt(nonce, master_share, competition_id.bytes)
    context = _share_context(competition_id)
    return CompetitionKeys(
        public_key=private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw),
        wrapped_private_key=wrapped,
        wrap_nonce=nonce,
        officer_shares={k: holder.seal_to(k, officer_share, context=context) for k in officer_keys},
    )


def wrapped_under_current(settings: Settings, keys: CompetitionKeys, *, competition_id: uuid.UUID) -> bool:
    """Whether the stored key (share) is wrapped under the current master key already."""
    try:
        AESGCM(_wrapping_key(settings)).decrypt(
            keys.wrap_nonce, keys.wrapped_private_key, competition_id.bytes
        )
    except InvalidTag:
        return False
    return True


def rewrap(settings: Settings, keys: CompetitionKeys, *, competition_id: uuid.UUID) -> CompetitionKeys:
    """The same stored key (share), wrapped under the current master key (from the previous one)."""
    inner = _unwrap(settings, keys, competition_id)
    nonce = os.urandom(12)
    wrapped = AESGCM(_wrapping_key(settings)).encrypt(nonce, inner, competition_id.bytes)
    return CompetitionKeys(keys.public_key, wrapped, nonce, keys.scheme)


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


def unwrap_opening_key(
    settings: Settings,
    keys: CompetitionKeys,
    *,
    competition_id: uuid.UUID,
    officer_share: bytes | None = None,
    holder_key: bytes | None = None,
) -> OpeningKey:
    """Join a competition's private key from the master key's share and an officer's share (opened
    with that officer's holder key): call only when opening after the deadline."""
    raw = _unwrap(settings, keys, competition_id)
    if keys.scheme != LEGACY_SCHEME:
        if officer_share is None or holder_key is None:
            raise SealingError(f"opening competition {competition_id} needs an officer's share")
        try:
            raw = _xor(
                raw, holder.open_sealed(holder_key, officer_share, context=_share_context(competition_id))
            )
        except holder.HolderKeyError as exc:
            raise SealingError(f"the officer's share of competition {competition_id} does not open") from exc
    private = X25519PrivateKey.from_private_bytes(raw)
    if private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw) != keys.public_key:
        raise SealingError(f"the opening key of competition {competition_id} does not match its public key")
    return OpeningKey(private=private, public_key=keys.public_key)


def _copy_key(holder_key: bytes, *, supplier_id: uuid.UUID, bid_id: uuid.UUID, version: int) -> AESGCM:
    # Derived from the supplier's holder key, which only the supplier's tokens unwrap: no server-side
    # secret opens the copy.
    return AESGCM(holder.derive(holder_key, info=_COPY_INFO + _copy_binding(supplier_id, bid_id, version)))


def _copy_binding(supplier_id: uuid.UUID, bid_id: uuid.UUID, version: int) -> bytes:
    # Key and associated data name the supplier, bid and version: a copy moved to another row fails.
    return supplier_id.bytes + _associated_data(bid_id, version)


def seal_supplier_copy(
    holder_key: bytes, plaintext: bytes, *, supplier_id: uuid.UUID, bid_id: uuid.UUID, version: int
) -> bytes:
    """The submitting supplier's copy of one bid version: a 96-bit nonce followed by the ciphertext."""
    nonce = os.urandom(12)
    aead = _copy_key(holder_key, supplier_id=supplier_id, bid_id=bid_id, version=version)
    return nonce + aead.encrypt(nonce, plaintext, _copy_binding(supplier_id, bid_id, version))


def open_supplier_copy(
    holder_key: bytes, sealed: bytes, *, supplier_id: uuid.UUID, bid_id: uuid.UUID, version: int
) -> bytes:
    """Decrypt a supplier's copy with its holder key: call only for that supplier, before the deadline."""
    aead = _copy_key(holder_key, supplier_id=supplier_id, bid_id=bid_id, version=version)
    try:
        return aead.decrypt(sealed[:12], sealed[12:], _copy_binding(supplier_id, bid_id, version))
    except InvalidTag as exc:
        raise SealingError(f"the supplier's copy of bid {bid_id} version {version} does not decrypt") from exc
