"""Real commits in separate transactions: amendments and bids never race, retried keys never duplicate."""

import base64
import json
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from minicompetition.tender import amendments, bids, competitions
from minicompetition.tender.schemas import AmendmentIn, BidIn, CompetitionIn
from procurement.core.auth import Caller, authenticate
from procurement.core.clock import utc_now
from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.factories.concurrency import Running
from tests.factories.minicompetition import bid_body, competition_body, make_bidders
from tests.factories.registry import make_ring_world


@pytest.fixture
def world(scratch_database_url: str) -> Iterator[dict[str, Any]]:
    engine = make_engine(scratch_database_url, pool_size=4)
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    settings = Settings(env="test", sealing_key=key, pseudonym_key=key)
    with Session(engine) as session:
        ring = make_ring_world(session)
        bidders = make_bidders(session, ring, count=2)
        officer = authenticate(session, f"Bearer {ring.lead_officer}")
        assert isinstance(officer, Caller)
        assert (officer.role, officer.authority_id) == ("officer", ring.lead_id)
        data = msgspec.json.decode(json.dumps(competition_body(ring)), type=CompetitionIn)
        created = competitions.create(session, caller=officer, data=data, now=utc_now())
        competitions.publish(
            session,
            caller=officer,
            competition_id=created.id,
            now=utc_now(),
            settings=settings,
            confirm_few_invitees=True,
        )
        suppliers = [authenticate(session, f"Bearer {b.token}") for b in bidders]
        session.commit()
    yield {
        "engine": engine,
        "settings": settings,
        "officer": officer,
        "suppliers": suppliers,
        "competition_id": created.id,
    }
    engine.dispose()


def _submit(w: dict[str, Any], supplier: Caller, *, key: str | None = None) -> Callable[[Session], Any]:
    data = msgspec.json.decode(json.dumps(bid_body()), type=BidIn)
    return lambda s: bids.submit(
        s,
        caller=supplier,
        competition_id=w["competition_id"],
        data=data,
        idempotency_key=key,
        now=utc_now(),
        settings=w["settings"],
    )


def _amend(w: dict[str, Any]) -> Callable[[Session], Any]:
    data = msgspec.json.decode(
        json.dumps({"reason": "Tarkennus.", "changes": {"title": "Tarkennettu"}}), type=AmendmentIn
    )
    return lambda s: amendments.amend(
        s,
        caller=w["officer"],
        competition_id=w["competition_id"],
        data=data,
        now=utc_now(),
        settings=w["settings"],
    )


def _bid_row(engine: Engine) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT b.needs_confirmation, v.terms_version, count(*) OVER () AS versions "
                "FROM bid b JOIN bid_version v ON v.bid_id = b.id"
            )
        ).one()


def test_a_bid_waits_for_an_amendment_in_progress_and_then_meets_the_new_terms(world: dict[str, Any]) -> None:
    engine = world["engine"]
    with Session(engine) as amending:
        _amend(world)(amending)  # holds the competition row FOR UPDATE until it commits
        bid = Running(engine, _submit(world, world["suppliers"][0]))
        time.sleep(0.5)
        assert not bid.done.is_set(), "the bid must wait for the amendment"
        amending.commit()
    assert bid.wait().created is True
    row = _bid_row(engine)
    assert (row.needs_confirmation, row.terms_version) == (False, 1)


def test_an_amendment_waits_for_a_bid_in_flight_and_then_asks_it_to_confirm(world: dict[str, Any]) -> None:
    engine = world["engine"]
    with Session(engine) as bidding:
        _submit(world, world["suppliers"][0])(bidding)  # holds the competition row FOR SHARE
        amendment = Running(engine, _amend(world))
        time.sleep(0.5)
        assert not amendment.done.is_set(), "the amendment must wait for the bid in flight"
        bidding.commit()
    amendment.wait()
    row = _bid_row(engine)
    assert (row.needs_confirmation, row.terms_version) == (True, 0)


def test_concurrent_retries_with_one_key_store_one_version(world: dict[str, Any]) -> None:
    engine = world["engine"]
    supplier = world["suppliers"][1]
    with Session(engine) as first:
        original = _submit(world, supplier, key="retry-1")(first)
        retry = Running(engine, _submit(world, supplier, key="retry-1"))
        time.sleep(0.3)
        assert not retry.done.is_set(), "the retry waits on the bid row"
        first.commit()
    replay = retry.wait()
    assert (original.created, replay.created) == (True, False)
    assert replay.receipt == original.receipt
    assert _bid_row(engine).versions == 1
