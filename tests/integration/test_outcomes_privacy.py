"""The hetu goes no further than the pseudonym: after a full scenario no column and no log line holds it."""

import logging
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.clock import helsinki_today as today
from procurement.core.clock import utc_now
from tests.factories.outcomes import hetu, make_outcome_world

TODAY = today(utc_now())
TODAY_FROM_CLOCK = True  # conftest sets TODAY again at each test's start
SEARCHABLE = ("text", "character varying", "character", "json", "jsonb", "ARRAY", "bytea")


def _needles(code: str) -> list[str]:
    digits = code[:6] + code[7:10]
    return [code, code.lower(), code[:6] + code[7:], digits]


def _columns(session: Session) -> list[tuple[str, str, str]]:
    return [
        (table, column, kind)
        for table, column, kind in session.execute(
            text(
                "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
                "JOIN information_schema.tables t USING (table_schema, table_name) "
                "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' ORDER BY 1, 2"
            )
        ).all()
        if kind in SEARCHABLE
    ]


def _holding(session: Session, needle: str) -> list[str]:
    found = []
    for table, column, kind in _columns(session):
        if kind == "bytea":
            where = f'position(CAST(:n AS bytea) IN "{column}") > 0'
        else:
            where = f'CAST("{column}" AS text) ILIKE :like'
        hits = session.execute(
            text(f'SELECT count(*) FROM "{table}" WHERE {where}'),
            {"n": needle.encode(), "like": f"%{needle}%"},
        ).scalar_one()
        if hits:
            found.append(f"{table}.{column}")
    return found


def test_the_hetu_is_nowhere_in_the_database_or_the_logs(
    client: TestClient[Litestar], session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ow = make_outcome_world(session)
    code = hetu(7)
    officer, seller = ow.officer.headers, ow.supplier_parties[0].headers
    bad = code[:-1] + ("X" if code[-1] != "X" else "Y")
    assert (
        client.post(
            "/participants",
            json={"hetu": bad, "home_municipality_code": "398", "tier": "T1"},
            headers=officer,
        ).status_code
        == 422
    )
    body = {
        "hetu": code,
        "home_municipality_code": "398",
        "target_groups": ["immigrants"],
        "benefit_days": 320,
    }
    participant = client.post("/participants", json=body, headers=officer).json()["id"]
    again = client.post(
        "/participants", json=body | {"partial_work_ability": True}, headers=ow.other_officer.headers
    )
    assert again.json()["id"] == participant
    lot = str(ow.awarded.lots["LAHTI"].id)
    referral = client.post(
        "/referrals",
        json={"participant_id": participant, "contract_id": str(ow.contracts[0].id), "lot_id": lot},
        headers=officer,
    ).json()["id"]
    client.post(
        f"/referrals/{referral}/start",
        json={"started_on": TODAY.isoformat(), "evidence_sha256": "a" * 64},
        headers=seller,
    )
    event = client.post(
        f"/referrals/{referral}/events",
        json={"event_type": "employment_start", "event_date": TODAY.isoformat(), "evidence_sha256": "b" * 64},
        headers=seller,
    ).json()
    client.post(f"/outcome-events/{event['id']}/verify", json={}, headers=officer)
    client.post(
        f"/referrals/{referral}/end",
        json={"ended_on": TODAY.isoformat(), "reason": "completed"},
        headers=seller,
    )
    assert client.get("/reports/flow-through?by=municipality", headers=officer).status_code == 200
    assert (
        client.get(
            f"/dps/{ow.world.dps.id}/performance?cutoff={TODAY.replace(day=1) - timedelta(days=1)}"
        ).status_code
        == 200
    )

    assert session.execute(text("SELECT count(*) FROM participant")).scalar_one() == 1
    assert len(_columns(session)) > 50  # the scan really covers the schema
    for needle in _needles(code) + _needles(bad):
        assert _holding(session, needle) == [], needle
        assert needle not in caplog.text
    # The scan finds what is there: the pseudonym itself sits in participant.pseudonym.
    pseudonym = session.execute(text("SELECT pseudonym FROM participant")).scalar_one()
    assert _holding(session, pseudonym) == ["participant.pseudonym"]
