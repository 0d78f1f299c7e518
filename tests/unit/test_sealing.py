"""Sealing: a bid opens only with its competition's unwrapped key, its own id and version, intact."""

import base64
import secrets
import uuid

import pytest

from minicompetition.tender import sealing
from procurement.core.settings import Settings

PLAINTEXT = b'{"competition_id":"c","lines":[{"lot":"LAHTI","unit_price_cents":250000}]}'


def _settings() -> Settings:
    return Settings(env="test", sealing_key=base64.b64encode(secrets.token_bytes(32)).decode())


def test_round_trip_after_unwrapping() -> None:
    settings, competition_id, bid_id = _settings(), uuid.uuid4(), uuid.uuid4()
    keys = sealing.new_competition_keys(settings, competition_id=competition_id)
    sealed = sealing.seal(PLAINTEXT, public_key=keys.public_key, bid_id=bid_id, version=3)
    assert b"250000" not in sealed.ciphertext
    assert (len(sealed.nonce), len(sealed.ephemeral_public_key)) == (12, 32)
    opening = sealing.unwrap_opening_key(settings, keys, competition_id=competition_id)
    assert opening.open(sealed, bid_id=bid_id, version=3) == PLAINTEXT


def test_every_seal_uses_a_fresh_nonce_and_key() -> None:
    keys = sealing.new_competition_keys(_settings(), competition_id=uuid.uuid4())
    bid_id = uuid.uuid4()
    one = sealing.seal(PLAINTEXT, public_key=keys.public_key, bid_id=bid_id, version=1)
    two = sealing.seal(PLAINTEXT, public_key=keys.public_key, bid_id=bid_id, version=1)
    assert one.nonce != two.nonce
    assert one.ephemeral_public_key != two.ephemeral_public_key
    assert one.ciphertext != two.ciphertext


def test_ciphertext_is_bound_to_its_bid_and_version() -> None:
    settings, competition_id, bid_id = _settings(), uuid.uuid4(), uuid.uuid4()
    keys = sealing.new_competition_keys(settings, competition_id=competition_id)
    sealed = sealing.seal(PLAINTEXT, public_key=keys.public_key, bid_id=bid_id, version=1)
    opening = sealing.unwrap_opening_key(settings, keys, competition_id=competition_id)
    with pytest.raises(sealing.SealingError, match="does not decrypt"):
        opening.open(sealed, bid_id=bid_id, version=2)
    with pytest.raises(sealing.SealingError):
        opening.open(sealed, bid_id=uuid.uuid4(), version=1)
    tampered = sealing.SealedBid(
        bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:], sealed.nonce, sealed.ephemeral_public_key
    )
    with pytest.raises(sealing.SealingError):
        opening.open(tampered, bid_id=bid_id, version=1)


def test_wrapped_key_needs_the_master_key_and_its_competition() -> None:
    settings, competition_id = _settings(), uuid.uuid4()
    keys = sealing.new_competition_keys(settings, competition_id=competition_id)
    with pytest.raises(sealing.SealingError, match="wrong DPR_SEALING_KEY"):
        sealing.unwrap_opening_key(_settings(), keys, competition_id=competition_id)
    with pytest.raises(sealing.SealingError):
        sealing.unwrap_opening_key(settings, keys, competition_id=uuid.uuid4())


def test_another_competitions_key_does_not_open_a_bid() -> None:
    settings = _settings()
    mine, other = uuid.uuid4(), uuid.uuid4()
    keys = sealing.new_competition_keys(settings, competition_id=mine)
    other_keys = sealing.new_competition_keys(settings, competition_id=other)
    bid_id = uuid.uuid4()
    sealed = sealing.seal(PLAINTEXT, public_key=keys.public_key, bid_id=bid_id, version=1)
    with pytest.raises(sealing.SealingError):
        sealing.unwrap_opening_key(settings, other_keys, competition_id=other).open(
            sealed, bid_id=bid_id, version=1
        )


def test_a_supplier_copy_opens_only_for_its_supplier_bid_version_and_master_key() -> None:
    settings, supplier, bid = _settings(), uuid.uuid4(), uuid.uuid4()
    copy = sealing.seal_supplier_copy(settings, PLAINTEXT, supplier_id=supplier, bid_id=bid, version=2)
    assert b"250000" not in copy
    assert (
        sealing.open_supplier_copy(settings, copy, supplier_id=supplier, bid_id=bid, version=2) == PLAINTEXT
    )
    for other in (
        {"supplier_id": uuid.uuid4(), "bid_id": bid, "version": 2},
        {"supplier_id": supplier, "bid_id": uuid.uuid4(), "version": 2},
        {"supplier_id": supplier, "bid_id": bid, "version": 1},
    ):
        with pytest.raises(sealing.SealingError):
            sealing.open_supplier_copy(settings, copy, **other)  # type: ignore[arg-type]
    with pytest.raises(sealing.SealingError):
        sealing.open_supplier_copy(_settings(), copy, supplier_id=supplier, bid_id=bid, version=2)
    again = sealing.seal_supplier_copy(settings, PLAINTEXT, supplier_id=supplier, bid_id=bid, version=2)
    assert again[:12] != copy[:12]  # a fresh nonce each time
