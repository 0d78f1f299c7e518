"""Payment periods over HTTP: finance closes and exports, an officer approves; refusals change nothing."""

from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.settings import Settings
from tests.factories.core import bearer, make_token
from tests.factories.payments import PayWorld, make_pay_world, months_ago, outcome, person, start

Client = TestClient[Litestar]


def world(session: Session, settings: Settings) -> PayWorld:
    """Supplier 1: a T2 start and a job in Lahti; supplier 2: a T1 start in Heinola."""
    pw = make_pay_world(session, settings=settings)
    day = months_ago(2).first_day
    referral, _ = start(session, pw, participant_id=person(session, pw, n=50, on=day), on=day)
    outcome(session, pw, referral_id=referral, event_type="employment_start", on=day + timedelta(days=14))
    other = person(session, pw, n=51, tier="T1", municipality="111", on=day)
    start(session, pw, participant_id=other, supplier=1, lot="PH", on=day + timedelta(days=2))
    return pw


def snapshot(session: Session) -> dict[str, Any]:
    """What a refused request must leave as it was."""
    return {
        "periods": session.execute(
            text("SELECT id, state, line_count FROM payment_period ORDER BY id")
        ).all(),
        "lines": session.execute(text("SELECT count(*) FROM payment_line")).scalar_one(),
        "events": session.execute(
            text("SELECT state, count(*) FROM outcome_event GROUP BY 1 ORDER BY 1")
        ).all(),
        "audit": session.execute(text("SELECT count(*) FROM audit_record")).scalar_one(),
        "batches": session.execute(text("SELECT count(*) FROM export_batch")).scalar_one(),
    }


def opened(client: Client, pw: PayWorld, month: str | None = None) -> str:
    response = client.post(
        "/periods", json={"month": month or months_ago(1).label}, headers=pw.finance.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_open_close_approve_export(client: Client, session: Session, settings: Settings) -> None:
    pw = world(session, settings)
    period = opened(client, pw)
    closed = client.post(f"/periods/{period}/close", headers=pw.finance.headers)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (body["state"], body["event_count"], body["line_count"]) == ("closed", 3, 5)
    # 64 800 + 36 000 + 48 600 payable; the two withheld parts (7 200 + 5 400) wait for the cohort.
    assert (body["payable_cents"], body["payable_eur"], body["unpaid_cents"]) == (
        149_400,
        "1\u00a0494,00\u00a0€",
        0,
    )
    approved = client.post(f"/periods/{period}/approve", headers=pw.officer.headers)
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    exported = client.post(f"/periods/{period}/export", headers=pw.finance.headers)
    assert exported.status_code == 200 and exported.json()["state"] == "exported"
    states = dict(session.execute(text("SELECT state, count(*) FROM outcome_event GROUP BY 1")).all())
    assert states == {"paid": 3}
    listed = client.get("/periods", headers=pw.officer.headers)
    assert [(p["month"], p["state"]) for p in listed.json()] == [(months_ago(1).label, "exported")]
    actions = session.execute(
        text("SELECT action FROM audit_record WHERE aggregate_type = 'payment_period' ORDER BY seq")
    ).scalars()
    assert list(actions) == [
        "payment_period.created",
        "payment_period.closed",
        "payment_period.approved",
        "payment_period.exported",
    ]


def _closed(client: Client, pw: PayWorld) -> str:
    period = opened(client, pw)
    assert client.post(f"/periods/{period}/close", headers=pw.finance.headers).status_code == 200
    return period


def _approved(client: Client, pw: PayWorld) -> str:
    period = _closed(client, pw)
    assert client.post(f"/periods/{period}/approve", headers=pw.officer.headers).status_code == 200
    return period


@pytest.mark.parametrize(
    ("setup", "method", "path", "who", "status", "detail"),
    [
        (
            "open",
            "post",
            "approve",
            "officer",
            409,
            "The payment period is 'open'; it cannot become 'approved'.",
        ),
        ("closed", "get", "export?format=csv-fi", "finance", 409, "only an approved period can be exported"),
        ("closed", "get", "manifest", "finance", 409, "only an approved period can be exported"),
        (
            "closed",
            "post",
            "export",
            "finance",
            409,
            "The payment period is 'closed'; it cannot become 'exported'.",
        ),
        (
            "closed",
            "post",
            "close",
            "finance",
            409,
            "The payment period is 'closed'; it cannot become 'closed'.",
        ),
        ("approved", "post", "approve", "officer", 409, "it cannot become 'approved'"),
        ("open", "post", "close", "officer", 403, "needs the role finance"),
        ("closed", "post", "approve", "finance", 403, "needs the role officer"),
        ("approved", "post", "export", "officer", 403, "needs the role finance"),
        ("approved", "get", "export?format=xlsx", "supplier", 403, "needs the role finance"),
        ("approved", "get", "manifest", "supplier", 403, "needs the role finance"),
        ("open", "post", "close", "supplier", 403, "needs the role finance"),
        ("approved", "get", "", "supplier", 403, "needs the role finance or officer"),
        ("open", "post", "close", "other_finance", 404, "No payment period has that id."),
        ("approved", "get", "export?format=csv-fi", "other_finance", 404, "No payment period has that id."),
        ("approved", "get", "manifest", "other_finance", 404, "No payment period has that id."),
        ("approved", "post", "export", "other_finance", 404, "No payment period has that id."),
        ("closed", "get", "", "other_finance", 404, "No payment period has that id."),
    ],
)
def test_refusals_change_nothing(
    client: Client,
    session: Session,
    settings: Settings,
    setup: str,
    method: str,
    path: str,
    who: str,
    status: int,
    detail: str,
) -> None:
    pw = world(session, settings)
    period = {"open": opened, "closed": _closed, "approved": _approved}[setup](client, pw)
    headers = {
        "officer": pw.officer.headers,
        "finance": pw.finance.headers,
        "other_finance": pw.other_finance.headers,
        "supplier": pw.ow.supplier_parties[0].headers,
    }[who]
    before = snapshot(session)
    url = f"/periods/{period}/{path}" if path else f"/periods/{period}"
    response = getattr(client, method)(url, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert detail in response.json()["detail"]
    assert snapshot(session) == before


def test_period_creation_refusals(client: Client, session: Session, settings: Settings) -> None:
    pw = world(session, settings)
    this_month = opened(client, pw, months_ago(0).label)
    before = snapshot(session)
    early = client.post(f"/periods/{this_month}/close", headers=pw.finance.headers)
    assert early.status_code == 409 and "close its period after that" in early.json()["detail"]
    earlier, last = opened(client, pw, months_ago(2).label), opened(client, pw, months_ago(1).label)
    out_of_order = client.post(f"/periods/{last}/close", headers=pw.finance.headers)
    assert out_of_order.status_code == 409
    assert out_of_order.json()["detail"] == (
        f"Close the period {months_ago(2).label} first: periods close in month order."
    )
    twice = client.post("/periods", json={"month": months_ago(1).label}, headers=pw.finance.headers)
    assert twice.status_code == 409 and "already has the period" in twice.json()["detail"]
    bad = client.post("/periods", json={"month": "2026-13"}, headers=pw.finance.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "month"
    assert client.post("/periods", json={"month": "2026-01"}, headers=pw.officer.headers).status_code == 403
    assert before["lines"] == 0
    assert client.post(f"/periods/{earlier}/close", headers=pw.finance.headers).status_code == 200
    assert snapshot(session)["lines"] == 5
    past = client.post("/periods", json={"month": months_ago(3).label}, headers=pw.finance.headers)
    assert past.status_code == 409 and "already closed" in past.json()["detail"]


def test_admin_and_anonymous_are_refused(client: Client, session: Session, settings: Settings) -> None:
    pw = world(session, settings)
    period = opened(client, pw)
    admin = bearer(make_token(session, role="admin"))
    assert client.get(f"/periods/{period}", headers=admin).status_code == 403
    assert client.get("/periods").status_code == 401
