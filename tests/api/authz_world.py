"""The authorization matrix's world: two rings, four authorities, suppliers, one object of each kind."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from outcomes.payments import periods as payment_service
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.core import bearer
from tests.factories.minicompetition import bid_body, competition_body
from tests.factories.outcomes import Step, make_outcome_world, party, run_referral
from tests.factories.registry import make_ring_world

CALLERS = ("anon", "admin", "officer", "officer_x", "finance", "finance_x", "supplier", "supplier_x")


@dataclass
class AuthzWorld:
    """Ids of every kind of object (all owned by tenant A) and one principal per matrix column."""

    headers: dict[str, dict[str, str]]
    ids: dict[str, str]
    # Strings that belong to tenant A's private objects: never in a foreign caller's 2xx answer.
    private_markers: dict[str, str] = field(default_factory=dict)


def _scalar(session: Session, sql: str, **params: Any) -> str:
    return str(session.execute(text(sql), params).scalar_one())


def build_world(client: TestClient[Litestar], session: Session, settings: Settings) -> AuthzWorld:
    """Ring A (lead authority L with an awarded and a published competition) and ring B (a stranger)."""
    ow = make_outcome_world(session, suppliers=2)
    ring_b = make_ring_world(session)
    lead, other = ow.world.lead_id, ring_b.lead_id
    finance = party(session, role="finance", authority_id=lead)
    finance_x = party(session, role="finance", authority_id=other)
    officer_x = party(session, role="officer", authority_id=other)
    supplier, supplier_x = ow.supplier_parties
    today = utc_now().date()
    referral_id = run_referral(
        session,
        ow,
        settings=settings,
        n=7,
        referred=today - timedelta(days=40),
        started=today - timedelta(days=39),
        steps=(Step(event_type="employment_start", on=today - timedelta(days=10), decision="none"),),
        today=today,
    )
    period = payment_service.create_period(
        session,
        caller=finance.caller,
        month=(today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
        now=utc_now(),
    )
    session.flush()
    # A published competition of L with both suppliers invited, a question and a bid of `supplier`.
    created = client.post(
        "/competitions", json=competition_body(ow.world), headers=bearer(ow.world.lead_officer)
    )
    assert created.status_code == 201, created.text
    competition_id = created.json()["id"]
    published = client.post(
        f"/competitions/{competition_id}/publish",
        json={"confirm_few_invitees": True},
        headers=ow.officer.headers,
    )
    assert published.status_code == 200, published.text
    asked = client.post(
        f"/competitions/{competition_id}/questions",
        json={"question": "Saako alihankkijoita käyttää?"},
        headers=supplier.headers,
    )
    assert asked.status_code == 201, asked.text
    bid = client.post(
        f"/competitions/{competition_id}/bids", json=bid_body(price=987_654), headers=supplier.headers
    )
    assert bid.status_code == 201, bid.text
    awarded = ow.awarded
    s1 = ow.suppliers[0].id
    ids = {
        "ring_id": str(ow.world.ring.id),
        "membership_id": _scalar(
            session,
            "SELECT id FROM ring_membership WHERE ring_id = :r ORDER BY id LIMIT 1",
            r=ow.world.ring.id,
        ),
        "dps_id": str(ow.world.dps.id),
        "application_id": _scalar(session, "SELECT id FROM application WHERE supplier_id = :s", s=s1),
        "admission_id": _scalar(session, "SELECT id FROM admission WHERE supplier_id = :s LIMIT 1", s=s1),
        "competition_id": competition_id,
        "awarded_competition_id": str(awarded.competition.id),
        "question_id": asked.json()["id"],
        "bid_id": bid.json()["bid_id"],
        "contract_id": str(ow.contracts[0].id),
        "run_id": str(awarded.award.evaluation_run_id),
        "referral_id": str(referral_id),
        "participant_id": _scalar(
            session, "SELECT participant_id FROM referral WHERE id = :r", r=referral_id
        ),
        "event_id": _scalar(
            session,
            "SELECT id FROM outcome_event WHERE referral_id = :r AND event_type = 'employment_start'",
            r=referral_id,
        ),
        "period_id": str(period.id),
        "line_id": "1",
        "principal_id": str(ow.officer.caller.id),
        "lot_id": str(awarded.lots["LAHTI"].id),
        "authority_id": str(lead),
        "token_id": _scalar(
            session, "SELECT id FROM api_token WHERE principal_id = :p LIMIT 1", p=ow.officer.caller.id
        ),
    }
    headers = {
        "anon": {},
        "admin": bearer(ow.world.admin),
        "officer": ow.officer.headers,
        "officer_x": officer_x.headers,
        "finance": finance.headers,
        "finance_x": finance_x.headers,
        "supplier": supplier.headers,
        "supplier_x": supplier_x.headers,
    }
    markers = {
        k: ids[k]
        for k in (
            "bid_id",
            "referral_id",
            "participant_id",
            "event_id",
            "application_id",
            "contract_id",
            "period_id",
            "token_id",
        )
    }
    return AuthzWorld(headers=headers, ids=ids, private_markers=markers)


def random_ids() -> dict[str, str]:
    """Foreign objects: ids nobody owns."""
    return {name: ("999999" if name == "line_id" else str(uuid.uuid4())) for name in _ID_NAMES}


_ID_NAMES = (
    "ring_id", "membership_id", "dps_id", "application_id", "admission_id", "competition_id",
    "awarded_competition_id", "question_id", "bid_id", "contract_id", "run_id", "referral_id",
    "participant_id", "event_id", "period_id", "line_id", "principal_id", "lot_id", "authority_id",
    "token_id",
)  # fmt: skip
