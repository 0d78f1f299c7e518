"""Real commits: two transactions changing two next steps of one referral leave the right first step."""

import base64
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.factories.concurrency import Running
from tests.factories.outcomes import Step, make_outcome_world, run_referral

JOB_ON, STUDIES_ON = date(2025, 1, 10), date(2025, 2, 1)


@pytest.fixture
def referral(scratch_database_url: str) -> Iterator[tuple[Engine, uuid.UUID]]:
    engine = make_engine(scratch_database_url, pool_size=4)
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    settings = Settings(env="test", sealing_key=key, pseudonym_key=key)
    with Session(engine, expire_on_commit=False) as session:
        ow = make_outcome_world(session)
        steps = (
            Step(event_type="employment_start", on=JOB_ON),
            Step(event_type="studies_started", on=STUDIES_ON),
        )
        rid = run_referral(
            session,
            ow,
            settings=settings,
            n=1,
            referred=date(2025, 1, 1),
            started=date(2025, 1, 2),
            steps=steps,
            today=date(2025, 6, 30),
        )
        session.commit()
    yield engine, rid
    engine.dispose()


def _void(rid: uuid.UUID, on: date) -> Callable[[Session], Any]:
    return lambda s: s.execute(
        text(
            "UPDATE outcome_event SET state = 'voided', reason = 'Virhe' WHERE referral_id = :r"
            " AND event_date = :d AND event_type <> 'service_start'"
        ),
        {"r": rid, "d": on},
    )


def _first(engine: Engine, rid: uuid.UUID) -> date | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT first_step_on FROM referral WHERE id = :r"), {"r": rid}).scalar_one()


def test_two_voids_at_once_leave_no_step(referral: tuple[Engine, uuid.UUID]) -> None:
    engine, rid = referral
    assert _first(engine, rid) == JOB_ON
    with Session(engine) as first:
        _void(rid, JOB_ON)(first)  # the studies are now the first step, in this transaction
        # The second void's trigger waits for the referral row; then it reads the first's commit. Read
        # with the snapshot its statement began with, it would see the job still verified and store it.
        second = Running(engine, _void(rid, STUDIES_ON))
        time.sleep(0.5)
        assert not second.done.is_set(), "the second recompute must wait for the referral's row lock"
        first.commit()
    second.wait()
    assert _first(engine, rid) is None


def test_a_void_and_a_moved_start_at_once(referral: tuple[Engine, uuid.UUID]) -> None:
    engine, rid = referral
    with Session(engine) as first:
        _void(rid, JOB_ON)(first)
        second = Running(
            engine,
            lambda s: s.execute(
                text("UPDATE referral SET started_on = '2025-01-05' WHERE id = :r"), {"r": rid}
            ),
        )
        time.sleep(0.5)
        assert not second.done.is_set()
        first.commit()
    second.wait()
    # The move waited for the void and read it: the job (10.1., after the moved start too) is void, so
    # the studies are the first step. Read before the void committed, the job would have been.
    assert _first(engine, rid) == STUDIES_ON
