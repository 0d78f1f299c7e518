"""Sealing: a bid opens only with its competition's key, joined from the master key's share and an
officer's share, for its own id and version, intact; a supplier's copy only with its holder key."""

import base64
import secrets
import uuid

import pytest

from minicompetition.tender import sealing
from procurement.core import holder
from procurement.core.settings import Settings

PLAINTEXT = b'{"competition_id":"c","lines":[{"lot":"LAHTI","unit_price_cents":250000}]}'


def _settings() -> Settings:
    return Settings(env="test", sealing_key=base64.b64encode(secrets.token_bytes(32)).decode())


def _keys(settings: Settings, competition_id: uuid.UUID, *officers: bytes) -> sealing.CompetitionKeys:
    return sealing.new_competition_keys(
        settings, competition_id=competition_id, officer_keys=[holder.public_key(k) for k in officers]
    )


def _open(
    settings: Settings, keys: sealing.CompetitionKeys, competition_id: uuid.UUID, officer: bytes
) -> sealing.OpeningKey:
    share = (keys.officer_shares or {}).get(holder.public_key(officer))
    return sealing.unwrap_opening_key(
        settings, keys, competition_id=competition_id, officer_share=share, holder_key=officer
    )


def test_round_trip_after_joining_both_shares() -> None:
    settings, competition_id, bid_id, officer = _settings(), uuid.uuid4(), uuid.uuid4(), holder.new_key()
    keys = _keys(settings, competition_id, officer)
    sealed = sealing.seal(PLAINTEXT, public_key=keys.public_key, bid_id=bid_id, version=3)
    assert b"250000" not in sealed.ciphertext
    assert (len(sealed.nonce), len(sealed.ephemeral_public_key)) == (12, 32)
    assert _open(settings, keys, competition_id, officer).open(sealed, bid_id=bid_id, version=3) == PLAINTEXT


def test_every_officer_given_a_share_opens_and_no_one_else() -> None:
    settings, competition_id, bid_id = _settings(), uuid.uuid4(), uuid.uuid4()
    first, second, stranger = holder.new_key(), holder.new_key(), holder.new_key()
    keys = _keys(settings, competition_id, first, second)
    sealed = sealing.seal(PLAINTEXT, public_key=keys.public_key, bid_id=bid_id, version=1)
    for officer in (first, second):
        assert (
            _open(settings, keys, competition_id, officer).open(sealed, bid_id=bid_id, version=1) == PLAINTEXT
        )
    with pytest.raises(sealing.SealingError, match="needs an officer's share"):
        _open(settings, keys, competition_id, stranger)
    # Another officer's share does not open with the stranger's key either.
    with pytest.raises(sealing.SealingError, match="does not open"):
        sealing.unwrap_opening_key(
            settings,
            keys,
            competition_id=competition_id,
            officer_share=(keys.officer_shares or {})[holder.public_key(first)],
            holder_key=stranger,
        )


def test_the_master_key_alone_opens_nothing() -> None:
    """The insider's attempt: the master key's share taken as the whole key yields a wrong key."""
    settings, competition_id, bid_id = _settings(), uuid.uuid4(), uuid.uuid4()
    keys = _keys(settings, competition_id, holder.new_key())
    sealed = sealing.seal(PLAINTEXT, public_key=keys.public_key, bid_id=bid_id, version=1)
    as_legacy = sealing.CompetitionKeys(
        keys.public_key, keys.wrapped_private_key, keys.wrap_nonce, sealing.LEGACY_SCHEME
    )
    with pytest.raises(sealing.SealingError, match="does not match its public key"):
        sealing.unwrap_opening_key(settings, as_legacy, competition_id=competition_id)
    assert sealed.ciphertext  # still sealed


def test_every_seal_uses_a_fresh_nonce_and_key() -> None:
    keys = _keys(_settings(), uuid.uuid4(), holder.new_key())
    bid_id = uuid.uuid4()
    one = sealing.seal(PLAINTEXT, public_key=keys.public_key, bid_id=bid_id, version=1)
    two = sealing.seal(PLAINTEXT, public_key=keys.public_key, bid_id=bid_id, version=1)
    assert one.nonce != two.nonce
    assert one.ephemeral_public_key != two.ephemeral_public_key
    assert one.ciphertext != two.ciphertext


def test_ciphertext_is_bound_to_its_bid_and_version() -> None:
    settings, competition_id, bid_id, officer = _settings(), uuid.uuid4(), uuid.uuid4(), holder.new_key()
    keys = _keys(settings, competition_id, officer)
    sealed = sealing.seal(PLAINTEXT, public_key=keys.public_key, bid_id=bid_id, version=1)
    opening = _open(settings, keys, competition_id, officer)
    with pytest.raises(sealing.SealingError, match="does not decrypt"):
        opening.open(sealed, bid_id=bid_id, version=2)
    with pytest.raises(sealing.SealingError):
        opening.open(sealed, bid_id=uuid.uuid4(), version=1)
    tampered = sealing.SealedBid(
        bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:], sealed.nonce, sealed.ephemeral_public_key
    )
    with pytest.raises(sealing.SealingError):
        opening.open(tampered, bid_id=bid_id, version=1)


def test_wrapped_share_needs_the_master_key_and_its_competition() -> None:
    settings, competition_id, officer = _settings(), uuid.uuid4(), holder.new_key()
    keys = _keys(settings, competition_id, officer)
    with pytest.raises(sealing.SealingError, match="wrong DPR_SEALING_KEY"):
        _open(_settings(), keys, competition_id, officer)
    with pytest.raises(sealing.SealingError):
        _open(settings, keys, uuid.uuid4(), officer)


def test_rewrapping_under_a_new_master_key_keeps_the_key() -> None:
    old, new, competition_id, officer = _settings(), _settings(), uuid.uuid4(), holder.new_key()
    keys = _keys(old, competition_id, officer)
    bid_id = uuid.uuid4()
    sealed = sealing.seal(PLAINTEXT, public_key=keys.public_key, bid_id=bid_id, version=1)
    rotating = new.model_copy(update={"sealing_key_previous": old.sealing_key})
    # While the rotation runs both keys open it; afterwards only the new one.
    assert _open(rotating, keys, competition_id, officer).open(sealed, bid_id=bid_id, version=1) == PLAINTEXT
    assert not sealing.wrapped_under_current(rotating, keys, competition_id=competition_id)
    moved = sealing.rewrap(rotating, keys, competition_id=competition_id)
    moved = sealing.CompetitionKeys(
        moved.public_key, moved.wrapped_private_key, moved.wrap_nonce, moved.scheme, keys.officer_shares
    )
    assert sealing.wrapped_under_current(rotating, moved, competition_id=competition_id)
    assert _open(new, moved, competition_id, officer).open(sealed, bid_id=bid_id, version=1) == PLAINTEXT
    with pytest.raises(sealing.SealingError, match="wrong DPR_SEALING_KEY"):
        _open(old, moved, competition_id, officer)


def test_a_supplier_copy_opens_only_with_its_holder_key_supplier_bid_and_version() -> None:
    key, supplier, bid = holder.new_key(), uuid.uuid4(), uuid.uuid4()
    copy = sealing.seal_supplier_copy(key, PLAINTEXT, supplier_id=supplier, bid_id=bid, version=2)
    assert b"250000" not in copy
    assert sealing.open_supplier_copy(key, copy, supplier_id=supplier, bid_id=bid, version=2) == PLAINTEXT
    for other in (
        {"supplier_id": uuid.uuid4(), "bid_id": bid, "version": 2},
        {"supplier_id": supplier, "bid_id": uuid.uuid4(), "version": 2},
        {"supplier_id": supplier, "bid_id": bid, "version": 1},
    ):
        with pytest.raises(sealing.SealingError):
            sealing.open_supplier_copy(key, copy, **other)  # type: ignore[arg-type]
    with pytest.raises(sealing.SealingError):
        sealing.open_supplier_copy(holder.new_key(), copy, supplier_id=supplier, bid_id=bid, version=2)
    again = sealing.seal_supplier_copy(key, PLAINTEXT, supplier_id=supplier, bid_id=bid, version=2)
    assert again[:12] != copy[:12]  # a fresh nonce each time


def test_a_holder_key_opens_only_through_its_own_token() -> None:
    token, other = "dpr_" + secrets.token_urlsafe(32), "dpr_" + secrets.token_urlsafe(32)
    token_id, key = uuid.uuid4(), holder.new_key()
    wrapped = holder.wrap(token=token, token_id=token_id, key=key)
    assert len(wrapped) == holder.WRAPPED_BYTES
    assert holder.unwrap(token=token, token_id=token_id, wrapped=wrapped) == key
    assert holder.unwrap(token=other, token_id=token_id, wrapped=wrapped) is None
    assert holder.unwrap(token=token, token_id=uuid.uuid4(), wrapped=wrapped) is None
    # The stored hash of the token is no key to it.
    from procurement.core.auth import hash_token

    assert holder.unwrap(token=hash_token(token), token_id=token_id, wrapped=wrapped) is None
