"""Factories for competitions and bids, driven through the HTTP API where the test is about the API."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.clock import utc_now
from registry.models import Supplier
from tests.factories.core import bearer
from tests.factories.registry import RingWorld, admit, business_id, make_ring_world, make_supplier


def competition_body(world: RingWorld, *, category: str = "EMPLOYMENT", **overrides: Any) -> dict[str, Any]:
    """A valid draft: two lots in Lahti and Päijät-Häme, 14-day tender period."""
    now = utc_now()
    body: dict[str, Any] = {
        "dps_id": str(world.dps.id),
        "category": category,
        "title": "Työllistymisvalmennus 2027",
        "description": "Valmennus avoimille työmarkkinoille.",
        "lots": [
            {
                "code": "LAHTI",
                "municipality_codes": ["398"],
                "target_group": "long_term_unemployed",
                "demand": 40,
                "max_unit_price_cents": 300_000,
            },
            {
                "code": "PH-YOUTH",
                "municipality_codes": ["098", "111"],
                "target_group": "youth",
                "demand": 25,
            },
        ],
        "budget_cents": 20_000_000,
        "weights": {"price_bp": 5000, "quality_bp": 2000, "outcome_bp": 3000},
        "quality_criteria": [
            {"code": "METHOD", "name": "Valmennusmenetelmä", "weight_bp": 6000},
            {"code": "EMPLOYERS", "name": "Työnantajayhteistyö", "weight_bp": 4000},
        ],
        "allocation_rules": {"max_suppliers_per_lot": 3, "max_share_bp": 6000, "min_allocation": 5},
        "scope": {
            "intended_effect": "Pitkäaikaistyöttömät työllistyvät avoimille työmarkkinoille.",
            "expected_participants": 65,
            "expected_cost_cents": 18_000_000,
            "expected_outcomes": 40,
        },
        "qa_deadline": (now + timedelta(days=7)).isoformat(),
        "tender_deadline": (now + timedelta(days=14)).isoformat(),
    }
    body.update(overrides)
    return body


def bid_body(
    *, price: int = 250_000, capacity: int = 20, flow_bp: int = 8000, lots: tuple[str, ...] = ("LAHTI",)
):  # type: ignore[no-untyped-def]
    """A valid bid with one line per lot."""
    return {
        "lines": [
            {
                "lot": lot,
                "unit_price_cents": price,
                "capacity": capacity,
                "committed_flow_through_bp": flow_bp,
                "quality_answers": {"METHOD": "Yksilövalmennus ja työkokeilu.", "EMPLOYERS": "40 yritystä."},
            }
            for lot in lots
        ]
    }


@dataclass
class Bidder:
    """An admitted supplier and its token."""

    supplier: Supplier
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


@dataclass
class CompetitionWorld:
    """A ring world with suppliers and a published competition."""

    world: RingWorld
    competition_id: str
    bidders: list[Bidder] = field(default_factory=list)

    @property
    def officer(self) -> dict[str, str]:
        return bearer(self.world.lead_officer)


def make_bidders(session: Session, world: RingWorld, *, count: int, start: int = 1) -> list[Bidder]:
    """Suppliers admitted in EMPLOYMENT."""
    out = []
    for n in range(start, start + count):
        supplier, token = make_supplier(session, business_id=business_id(n), name=f"Valmennus {n} Oy")
        admit(session, dps=world.dps, supplier=supplier)
        out.append(Bidder(supplier, token))
    return out


def publish_competition(
    client: TestClient[Litestar], session: Session, *, bidders: int = 3, **overrides: Any
) -> CompetitionWorld:
    """A published competition with `bidders` invited suppliers, built through the API."""
    world = make_ring_world(session)
    people = make_bidders(session, world, count=bidders)
    created = client.post(
        "/competitions", json=competition_body(world, **overrides), headers=bearer(world.lead_officer)
    )
    assert created.status_code == 201, created.text
    competition_id = created.json()["id"]
    # Fewer than three invitees needs the officer's recorded confirmation (SPEC 4.2).
    confirm = {"confirm_few_invitees": True} if bidders < 3 else None
    published = client.post(
        f"/competitions/{competition_id}/publish", json=confirm, headers=bearer(world.lead_officer)
    )
    assert published.status_code == 200, published.text
    return CompetitionWorld(world=world, competition_id=competition_id, bidders=people)


def move_deadline(session: Session, competition_id: str | uuid.UUID, *, from_now: timedelta) -> None:
    """Simulate the clock passing: put the tender deadline `from_now` away from the database clock."""
    session.execute(
        text(
            "UPDATE competition SET tender_deadline = clock_timestamp() + :delta, "
            "qa_deadline = LEAST(qa_deadline, clock_timestamp() + :delta) WHERE id = :id"
        ),
        {"delta": from_now, "id": competition_id},
    )


def count(session: Session, table: str) -> int:
    """Rows in a table (to show a refused request wrote nothing)."""
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
