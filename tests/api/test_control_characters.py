"""No 500 from input: a control character anywhere is a 422 naming the field and changes nothing; a bid
accepted under an older rule cannot stop its competition's opening; nesting and size are bounded."""

import json
from datetime import timedelta

import msgspec
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from minicompetition.tender import bids
from minicompetition.tender.schemas import BidIn
from procurement.core.auth import authenticate
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.core import bearer, make_token
from tests.factories.minicompetition import bid_body, count, move_deadline, publish_competition


def _field(response: object) -> list[str]:
    body = response.json()  # type: ignore[attr-defined]
    return [e["field"] for e in body.get("errors") or []]


def test_a_nul_in_a_supplier_name_a_question_or_a_principal_is_a_422(
    client: TestClient[Litestar], session: Session
) -> None:
    before = (count(session, "supplier"), count(session, "principal"), count(session, "question"))
    supplier = client.post(
        "/suppliers",
        json={"business_id": "2331972-7", "name": "Palvelu\u0000 Oy", "contact_email": "info@example.fi"},
    )
    assert (supplier.status_code, _field(supplier)) == (422, ["name"])
    assert "U+0000" in supplier.json()["detail"]
    admin = bearer(make_token(session, role="admin"))
    principal = client.post("/principals", json={"role": "admin", "name": "Ylläpito\u0007"}, headers=admin)
    assert (principal.status_code, _field(principal)) == (422, ["name"])
    cw = publish_competition(client, session, bidders=1)
    asked = client.post(
        f"/competitions/{cw.competition_id}/questions",
        json={"question": "Kysymys\u0000?"},
        headers=cw.bidders[0].headers,
    )
    assert (asked.status_code, _field(asked)) == (422, ["question"])
    # Line breaks and tabs are text, not control characters.
    fine = client.post(
        f"/competitions/{cw.competition_id}/questions",
        json={"question": "Kaksi riviä:\n\tensimmäinen ja toinen?"},
        headers=cw.bidders[0].headers,
    )
    assert fine.status_code == 201
    after = (count(session, "supplier"), count(session, "principal"), count(session, "question"))
    assert after[0] == before[0] + 1 and after[2] == before[2] + 1  # only the world's and the fine one


def test_a_nul_in_a_sealed_answer_is_refused_with_no_receipt(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=1)
    body = bid_body()
    body["lines"][0]["quality_answers"]["METHOD"] = "Menetelmä\u0000"
    refused = client.post(f"/competitions/{cw.competition_id}/bids", json=body, headers=cw.bidders[0].headers)
    assert (refused.status_code, _field(refused)) == (422, ["lines[0].quality_answers.METHOD"])
    assert count(session, "bid_version") == 0
    # A control character in an answer's name is named too.
    body = bid_body()
    body["lines"][0]["quality_answers"]["M\u0000"] = "x"
    refused = client.post(f"/competitions/{cw.competition_id}/bids", json=body, headers=cw.bidders[0].headers)
    assert refused.status_code == 422
    assert _field(refused) == ["lines[0].quality_answers.M\\u0000"]


def test_a_bid_accepted_before_the_rule_cannot_stop_the_opening(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    """Before the fix a NUL answer got a receipt and made every opening a 500: now that bid alone is
    ineligible, with its reason, and the others open."""
    cw = publish_competition(client, session, bidders=2)
    good = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(price=250_000), headers=cw.bidders[0].headers
    )
    assert good.status_code == 201
    # The older rule: the service itself took the answer (the HTTP check did not exist).
    poisoned = bid_body(price=240_000)
    poisoned["lines"][0]["quality_answers"]["METHOD"] = "Menetelmä\u0000"
    caller = authenticate(session, f"Bearer {cw.bidders[1].token}")
    assert caller is not None
    receipt = bids.submit(
        session,
        caller=caller,
        competition_id=cw.competition_id,
        data=msgspec.convert(poisoned, BidIn),
        idempotency_key=None,
        now=utc_now(),
        settings=settings,
    ).receipt
    move_deadline(session, cw.competition_id, from_now=timedelta(seconds=-1))

    opened = client.post(f"/competitions/{cw.competition_id}/open", headers=cw.officer)

    assert opened.status_code == 200, opened.text
    by_bid = {b["bid_id"]: b for b in opened.json()["bids"]}
    assert by_bid[good.json()["bid_id"]]["state"] == "eligible"
    bad = by_bid[str(receipt.bid_id)]
    assert bad["state"] == "ineligible"
    assert "control character (U+0000)" in bad["ineligibility_reason"]
    stored = session.execute(text("SELECT count(*) FROM bid_line WHERE bid_id = :b"), {"b": receipt.bid_id})
    assert stored.scalar_one() == 0


def test_deep_nesting_is_a_422_and_a_huge_body_a_413(client: TestClient[Litestar], session: Session) -> None:
    admin = bearer(make_token(session, role="admin"))
    deep = '{"role": "admin", "name": "x", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}"
    nested = client.post("/principals", content=deep, headers={**admin, "content-type": "application/json"})
    assert (nested.status_code, nested.headers["content-type"]) == (422, "application/problem+json")
    inside = '{"role": "admin", "name": ' + "[" * 100_000 + "]" * 100_000 + "}"
    nested = client.post("/principals", content=inside, headers={**admin, "content-type": "application/json"})
    assert nested.status_code == 422
    huge = json.dumps({"role": "admin", "name": "x" * 2_000_000})
    too_big = client.post("/principals", content=huge, headers={**admin, "content-type": "application/json"})
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"
