"""Real commits in separate transactions: two referrals never both take a lot's last place or one category."""

import base64
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from outcomes.tracking import participants, referrals
from outcomes.tracking.schemas import ParticipantIn, ReferralIn
from procurement.core.clock import utc_now
from procurement.core.db import make_engine
from procurement.core.errors import Conflict
from procurement.core.settings import Settings
from tests.factories.concurrency import Running
from tests.factories.outcomes import OutcomeWorld, hetu, make_outcome_world


@pytest.fixture
def world(scratch_database_url: str) -> Iterator[tuple[Engine, OutcomeWorld, list[Any]]]:
    engine = make_engine(scratch_database_url, pool_size=4)
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    settings = Settings(env="test", sealing_key=key, pseudonym_key=key)
    with Session(engine, expire_on_commit=False) as session:
        ow = make_outcome_world(session, volumes={"LAHTI": 1})
        people = [
            participants.register(
                session,
                caller=ow.officer.caller,
                now=utc_now(),
                settings=settings,
                data=ParticipantIn(hetu=hetu(n), home_municipality_code="398", tier="T2"),
            )[0]
            for n in (1, 2)
        ]
        session.commit()
    yield engine, ow, people
    engine.dispose()


def _refer(ow: OutcomeWorld, participant: Any, *, contract: int = 0) -> Callable[[Session], Any]:
    data = ReferralIn(
        participant_id=participant.id,
        contract_id=ow.contracts[contract].id,
        lot_id=ow.awarded.lots["LAHTI"].id,
    )
    return lambda s: referrals.refer(s, caller=ow.officer.caller, data=data, now=utc_now())


def _referrals(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM referral")).scalar_one())


def test_two_referrals_cannot_both_take_the_last_place(world: tuple[Engine, OutcomeWorld, list[Any]]) -> None:
    engine, ow, (first_person, second_person) = world
    with Session(engine) as first:
        _refer(ow, first_person)(first)
        second = Running(engine, _refer(ow, second_person))
        time.sleep(0.5)
        assert not second.done.is_set(), "the second referral must wait for the lot's row lock"
        first.commit()
    with pytest.raises(Conflict, match=r"used up \(1 of 1\)"):
        second.wait()
    assert _referrals(engine) == 1


def test_two_lots_cannot_both_take_one_participant_in_a_category(
    world: tuple[Engine, OutcomeWorld, list[Any]],
) -> None:
    engine, ow, (person, _) = world
    with Session(engine) as first:
        _refer(ow, person, contract=0)(first)
        # Another supplier's lot: no shared row lock, so the partial unique index is what stops it.
        second = Running(engine, _refer(ow, person, contract=1))
        time.sleep(0.5)
        first.commit()
    with pytest.raises(Conflict, match="at the same moment"):
        second.wait()
    assert _referrals(engine) == 1
