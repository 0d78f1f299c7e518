"""Registry edges: the receipt day is not counted, an extension only before the due date, an open DPS."""

import hashlib
from datetime import UTC, date, datetime, timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, select

from procurement.core.clock import utc_now
from registry.models import Admission
from tests.factories.core import bearer
from tests.factories.registry import RingWorld, admit, business_id, make_ring_world, make_supplier


def _evidence(today: date) -> list[dict[str, str]]:
    return [
        {
            "type": code,
            "issued_on": (today - timedelta(days=3)).isoformat(),
            "valid_until": (today + timedelta(days=60)).isoformat(),
            "sha256": hashlib.sha256(code.encode()).hexdigest(),
        }
        for code in ("TAX_DEBT", "TRADE_REGISTER")
    ]


def _apply(client: TestClient[Litestar], world: RingWorld, token: str, today: date, **body: object):  # type: ignore[no-untyped-def]
    payload = {"categories": ["EMPLOYMENT"], "evidence": _evidence(today)} | body
    return client.post(f"/dps/{world.dps.id}/applications", json=payload, headers=bearer(token))


def _at(client: TestClient[Litestar], moment: datetime) -> None:
    """Run the app's clock at `moment` (applications take the request's moment as their receipt)."""
    client.app.state.clock_offset.seconds = (moment - utc_now()).total_seconds()


def test_an_application_received_on_a_saturday_is_due_ten_working_days_after_it(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    due = {}
    # Fri 27.11., Sat 28.11. and Sun 29.11.2026 (noon in Helsinki): day 1 is Mon 30.11., Independence Day
    # Sun 6.12. is no working day anyway, so day 10 is Fri 11.12.2026 in each case (SPEC 4.1).
    for n, day in enumerate((27, 28, 29), start=1):
        _, token = make_supplier(session, business_id=business_id(n))
        _at(client, datetime(2026, 11, day, 10, tzinfo=UTC))
        response = _apply(client, world, token, date(2026, 11, day))
        assert response.status_code == 201, response.text
        due[day] = response.json()["due_on"]
    assert due == {27: "2026-12-11", 28: "2026-12-11", 29: "2026-12-11"}


def test_an_extension_is_refused_once_the_due_date_has_passed(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    _, token = make_supplier(session, business_id=business_id(1))
    _at(client, datetime(2026, 11, 28, 10, tzinfo=UTC))
    application = _apply(client, world, token, date(2026, 11, 28)).json()
    _at(client, datetime(2026, 12, 14, 10, tzinfo=UTC))  # Mon 14.12.: the decision was due on Fri 11.12.
    officer = bearer(world.lead_officer)
    overdue = client.get(f"/applications/{application['id']}", headers=officer).json()
    assert (overdue["due_on"], overdue["overdue"]) == ("2026-12-11", True)
    refused = client.post(
        f"/applications/{application['id']}/extend", json={"reason": "Lisäselvitys"}, headers=officer
    )
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("The decision was due on 2026-12-11")
    after = client.get(f"/applications/{application['id']}", headers=officer).json()
    assert (after["state"], after["due_on"], after["overdue"]) == ("submitted", "2026-12-11", True)


def test_an_excluded_supplier_applies_again_with_its_self_cleaning_and_is_admitted_anew(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    supplier, token = make_supplier(session, business_id=business_id(7))
    admit(session, dps=world.dps, supplier=supplier, state="excluded")
    today = utc_now().date()
    without = _apply(client, world, token, today)
    assert without.status_code == 422
    assert without.json()["errors"][0]["field"] == "self_cleaning"
    statement = "Verovelka maksettu 1.10.2026; hallitus vaihdettu; sisäinen valvonta uudistettu."
    again = _apply(client, world, token, today, self_cleaning=statement)
    assert again.status_code == 201, again.text
    assert (again.json()["state"], again.json()["self_cleaning"]) == ("submitted", statement)
    decided = client.post(
        f"/applications/{again.json()['id']}/decision",
        json={"admit": ["EMPLOYMENT"]},
        headers=bearer(world.lead_officer),
    )
    assert decided.status_code == 200, decided.text
    rows = session.exec(select(Admission).where(Admission.supplier_id == supplier.id)).all()
    assert sorted(a.state for a in rows) == ["active", "excluded"]
    register = client.get(f"/dps/{world.dps.id}/register").json()
    employment = next(c for c in register["categories"] if c["category"] == "EMPLOYMENT")
    assert [(x["business_id"], x["status"]) for x in employment["suppliers"]] == [
        (supplier.business_id, "active")
    ]
    # Admitted again, the supplier is invited like any other (the admission in force decides).
    officer = bearer(world.lead_officer)
    listed = client.get(f"/dps/{world.dps.id}/admissions", headers=officer).json()
    assert sorted(x["state"] for x in listed if x["supplier_id"] == str(supplier.id)) == [
        "active",
        "excluded",
    ]
