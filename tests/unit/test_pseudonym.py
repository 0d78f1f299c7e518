"""The participant pseudonym: stable per key, different across keys, never echoing a bad hetu."""

import hashlib
import hmac
from datetime import date

import pytest
from stdnum.fi import hetu as stdnum_hetu

from outcomes.tracking.events import episode_id
from outcomes.tracking.pseudonym import INVALID_HETU, pseudonymise, synthetic_hetu
from procurement.core.errors import InvalidInput

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
REAL_FORMAT = "131052-308T"  # the format's textbook example, in the permanent range


def test_the_same_hetu_gives_the_same_pseudonym() -> None:
    first = pseudonymise(REAL_FORMAT, key=KEY)
    assert first == pseudonymise(" 131052-308t ", key=KEY)
    assert first == hmac.new(KEY, b"131052-308T", hashlib.sha256).hexdigest()
    assert len(first) == 64 and REAL_FORMAT not in first


def test_another_key_or_person_gives_another_pseudonym() -> None:
    assert pseudonymise(REAL_FORMAT, key=KEY) != pseudonymise(REAL_FORMAT, key=OTHER_KEY)
    other = synthetic_hetu(day=13, month=10, year=1952, individual=901)
    assert pseudonymise(other, key=KEY, allow_test_codes=True) != pseudonymise(REAL_FORMAT, key=KEY)


@pytest.mark.parametrize(
    "value",
    ["131052-308U", "131352-308T", "131052-001X", "13105-308T", "", "131052 308T", "NOT-A-HETU"],
)
def test_invalid_codes_are_refused_without_the_value(value: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        pseudonymise(value, key=KEY)
    assert raised.value.detail == INVALID_HETU
    assert raised.value.extra == {"errors": [{"field": "hetu", "message": INVALID_HETU}]}
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert value.strip() == "" or value not in str(raised.value)


def test_test_codes_only_when_allowed() -> None:
    code = synthetic_hetu(day=1, month=1, year=1990, individual=900)
    assert code == "010190-900P"
    assert stdnum_hetu.is_valid(code, allow_temporary=True)
    with pytest.raises(InvalidInput):
        pseudonymise(code, key=KEY)
    assert len(pseudonymise(code, key=KEY, allow_test_codes=True)) == 64
    assert synthetic_hetu(day=29, month=2, year=2004, individual=999).startswith("290204A999")
    with pytest.raises(ValueError, match="900–999"):
        synthetic_hetu(day=1, month=1, year=1990, individual=500)


def test_episode_id_is_deterministic_per_person_and_start_day() -> None:
    person = pseudonymise(REAL_FORMAT, key=KEY)
    day = date(2025, 3, 1)
    assert episode_id(pseudonym=person, episode_start=day) == episode_id(pseudonym=person, episode_start=day)
    assert len(episode_id(pseudonym=person, episode_start=day)) == 32
    assert episode_id(pseudonym=person, episode_start=day) != episode_id(
        pseudonym=person, episode_start=date(2025, 3, 2)
    )
    other = pseudonymise(REAL_FORMAT, key=OTHER_KEY)
    assert episode_id(pseudonym=person, episode_start=day) != episode_id(pseudonym=other, episode_start=day)
