"""Two finance users at once, on real connections: the period's row lock lets exactly one of them act."""

import base64
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from outcomes.payments import periods as payment_service
from procurement.core.clock import utc_now
from procurement.core.db import make_engine
from procurement.core.errors import IllegalTransition
from procurement.core.settings import Settings
from tests.factories.concurrency import Running
from tests.factories.outcomes import Party, party
from tests.factories.payments import (
    PayWorld,
    approved_period,
    make_pay_world,
    months_ago,
    outcome,
    person,
    start,
)


@pytest.fixture
def world(scratch_database_url: str) -> Iterator[tuple[Engine, PayWorld, Party, uuid.UUID, uuid.UUID]]:
    engine = make_engine(scratch_database_url, pool_size=4)
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    with Session(engine, expire_on_commit=False) as session:
        pw = make_pay_world(session, settings=Settings(env="test", sealing_key=key, pseudonym_key=key))
        colleague = party(session, role="finance", authority_id=pw.ow.world.lead_id)
        day = months_ago(3).first_day
        referral, _ = start(session, pw, participant_id=person(session, pw, n=60, on=day), on=day)
        outcome(session, pw, referral_id=referral, event_type="employment_start", on=day + timedelta(days=10))
        approved = approved_period(session, pw, month=months_ago(2))
        opened = payment_service.create_period(
            session, caller=pw.finance.caller, month=months_ago(1).label, now=utc_now()
        ).id
        session.commit()
    yield engine, pw, colleague, approved, opened
    engine.dispose()


def _audited(engine: Engine, action: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM audit_record WHERE action = :a"), {"a": action}
            ).scalar_one()
        )


def _race(engine: Engine, first: Callable[[Session], Any], second: Callable[[Session], Any]) -> Running:
    """Run `first` and hold its transaction open while `second` starts; then commit the first."""
    with Session(engine) as holder:
        first(holder)
        racing = Running(engine, second)
        time.sleep(0.5)
        assert not racing.done.is_set(), "the second call must wait for the period's row lock"
        holder.commit()
    return racing


def test_two_exports_at_once_one_moves_the_period_the_other_gets_409(
    world: tuple[Engine, PayWorld, Party, uuid.UUID, uuid.UUID],
) -> None:
    engine, pw, colleague, period_id, _ = world

    def export(caller: Any) -> Callable[[Session], Any]:
        return lambda s: payment_service.confirm_export(s, caller=caller, period_id=period_id, now=utc_now())

    racing = _race(engine, export(pw.finance.caller), export(colleague.caller))
    with pytest.raises(IllegalTransition) as refused:
        racing.wait()
    assert refused.value.detail == "The payment period is 'exported'; it cannot become 'exported'."
    assert refused.value.extra == {"current_state": "exported", "requested_state": "exported"}
    assert _audited(engine, "payment_period.exported") == 1
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT state, exported_by FROM payment_period WHERE id = :p"), {"p": period_id}
        ).one() == (
            "exported",
            pw.finance.caller.label,
        )
        assert dict(conn.execute(text("SELECT state, count(*) FROM outcome_event GROUP BY 1")).all()) == {
            "paid": 2
        }


def test_two_closes_at_once_compute_the_lines_once(
    world: tuple[Engine, PayWorld, Party, uuid.UUID, uuid.UUID],
) -> None:
    engine, pw, colleague, _, opened = world

    def close(caller: Any) -> Callable[[Session], Any]:
        return lambda s: payment_service.close_period(s, caller=caller, period_id=opened, now=utc_now())

    racing = _race(engine, close(pw.finance.caller), close(colleague.caller))
    with pytest.raises(IllegalTransition, match="is 'closed'; it cannot become 'closed'"):
        racing.wait()
    assert _audited(engine, "payment_period.closed") == 2  # the earlier period's close, and this one once
