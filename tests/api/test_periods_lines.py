"""Payment lines and their traces over HTTP: the supplier sees its own, the paying authority all of them."""

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from outcomes.payments.lines import trace_digest
from procurement.core.settings import Settings
from tests.api.test_periods import _closed, world
from tests.factories.core import bearer, make_token

Client = TestClient[Litestar]


def test_suppliers_see_their_own_lines_and_traces(
    client: Client, session: Session, settings: Settings
) -> None:
    pw = world(session, settings)
    period = _closed(client, pw)
    first, second = (p.headers for p in pw.ow.supplier_parties)
    own = client.get("/payment-lines", params={"period_id": period}, headers=first)
    assert own.status_code == 200, own.text
    lines = own.json()
    assert [
        (line["event_type"], line["kind"], line["amount_cents"], line["amount_eur"]) for line in lines
    ] == [
        ("service_start", "start_fee", 64_800, "648.00"),
        ("service_start", "start_fee_withheld", 7_200, "72.00"),
        ("employment_start", "outcome", 36_000, "360.00"),
    ]
    assert {line["supplier_id"] for line in lines} == {str(pw.ow.suppliers[0].id)}
    assert "pseudonym" not in lines[0]
    others = client.get("/payment-lines", params={"period_id": period}, headers=second).json()
    assert [(line["kind"], line["amount_cents"], line["home_municipality_code"]) for line in others] == [
        ("start_fee", 48_600, "111"),
        ("start_fee_withheld", 5_400, "111"),
    ]

    trace = client.get(f"/payment-lines/{lines[2]['id']}/trace", headers=first)
    assert trace.status_code == 200, trace.text
    body = trace.json()
    # A supplier can redo the sum: 240 000 × 15 % × 1.0 = 36 000 cents, under a 288 000 cap.
    assert (body["rule"], body["amount_cents"], body["trace"]["raw_cents"]) == (
        "component_amount",
        36_000,
        "36000/1",
    )
    assert body["trace"]["inputs"]["unit_price_cents"] == 240_000 and body["trace"]["share_bp"] == 1500
    assert body["trace"]["participant_cap"]["cap_cents"] == 288_000
    assert body["trace_id"] == lines[2]["trace_id"] == trace_digest(body["trace"])
    refused = client.get(f"/payment-lines/{lines[2]['id']}/trace", headers=second)
    assert refused.status_code == 404 and refused.json()["detail"] == "No payment line has that id."


def test_the_paying_authority_sees_every_line_and_others_none(
    client: Client, session: Session, settings: Settings
) -> None:
    pw = world(session, settings)
    period = _closed(client, pw)
    for headers in (pw.officer.headers, pw.finance.headers):
        lines = client.get("/payment-lines", params={"period_id": period}, headers=headers).json()
        assert len(lines) == 5 and sum(line["amount_cents"] for line in lines) == 162_000
        assert client.get(f"/payment-lines/{lines[0]['id']}/trace", headers=headers).status_code == 200
    line_id = lines[0]["id"]
    assert (
        client.get("/payment-lines", params={"period_id": period}, headers=pw.other_finance.headers).json()
        == []
    )
    assert client.get(f"/payment-lines/{line_id}/trace", headers=pw.other_finance.headers).status_code == 404
    assert (
        client.get(f"/payment-lines/{line_id}/trace", headers=pw.ow.other_officer.headers).status_code == 404
    )
    admin = bearer(make_token(session, role="admin"))
    assert client.get(f"/payment-lines/{line_id}/trace", headers=admin).status_code == 403
    assert client.get("/payment-lines/999999999/trace", headers=pw.finance.headers).status_code == 404
    paged = client.get(
        "/payment-lines", params={"period_id": period, "limit": 2, "offset": 3}, headers=pw.finance.headers
    )
    assert [line["id"] for line in paged.json()] == [lines[3]["id"], lines[4]["id"]]
