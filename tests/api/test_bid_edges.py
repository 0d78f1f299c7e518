"""Bids at the edges: complete or refused, a supplier-wide capacity honoured, withdrawn means gone."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from tests.api.test_evaluation import evaluate, open_competition, score_all
from tests.factories.minicompetition import count, move_deadline, publish_competition


def _line(lot: str, **answers: str) -> dict[str, object]:
    return {
        "lot": lot,
        "unit_price_cents": 200_000,
        "capacity": 10,
        "committed_flow_through_bp": 7000,
        "quality_answers": answers,
    }


def test_a_bid_leaving_a_sub_criterion_unanswered_is_refused_naming_each_missing_answer(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=3)
    before = count(session, "bid_version")
    body = {"lines": [_line("LAHTI", METHOD="Yksilövalmennus."), _line("PH-YOUTH", EMPLOYERS=" ")]}
    refused = client.post(f"/competitions/{cw.competition_id}/bids", json=body, headers=cw.bidders[0].headers)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [
        "lines[0].quality_answers.EMPLOYERS",
        "lines[1].quality_answers.METHOD",
        "lines[1].quality_answers.EMPLOYERS",
    ]
    assert "leaves the quality sub-criterion 'EMPLOYERS' unanswered" in refused.json()["errors"][0]["message"]
    assert count(session, "bid_version") == before  # no receipt for an incomplete bid


def test_a_supplier_wide_capacity_across_lots_is_honoured_by_the_allocation(
    client: TestClient[Litestar], session: Session
) -> None:
    # One supplier offers 20 places in each of two lots but at most 25 across both; the others cannot serve.
    lines = {
        0: [("LAHTI", 200_000, 20, 8000), ("PH-YOUTH", 200_000, 20, 8000)],
        1: [("LAHTI", 290_000, 5, 5000)],
        2: [("PH-YOUTH", 290_000, 5, 5000)],
    }
    quality = {
        (0, "LAHTI"): (80, 80),
        (0, "PH-YOUTH"): (80, 80),
        (1, "LAHTI"): (50, 50),
        (2, "PH-YOUTH"): (50, 50),
    }

    def capped(o):  # type: ignore[no-untyped-def]
        body = {
            "lines": [
                {
                    "lot": lot,
                    "unit_price_cents": price,
                    "capacity": cap,
                    "committed_flow_through_bp": ft,
                    "quality_answers": {"METHOD": "M.", "EMPLOYERS": "E."},
                }
                for lot, price, cap, ft in lines[0]
            ],
            "supplier_capacity": 25,
        }
        again = client.post(f"/competitions/{o.competition_id}/bids", json=body, headers=o.bidders[0].headers)
        assert again.status_code == 201, again.text

    o = open_competition(
        client,
        session,
        lines=lines,
        before_opening=capped,
        allocation_rules={"max_suppliers_per_lot": 2, "max_share_bp": 10_000, "min_allocation": 5},
    )
    opened = client.get(f"/competitions/{o.competition_id}/bids", headers=o.officer).json()
    assert {x["bid_id"]: x["supplier_capacity"] for x in opened}[o.bid_ids[0]] == 25
    score_all(client, o, quality)
    run = evaluate(client, o)
    mine = [x for x in run["lines"] if x["bid_id"] == o.bid_ids[0]]
    # 20 + 20 offered, 25 across both: one line gets all it offered, the other the 5 left, and says why.
    assert sorted((x["allocated"], x["limit_code"]) for x in mine) == [(5, "supplier_capacity"), (20, None)]


def test_a_bid_withdrawn_before_the_deadline_leaves_no_trace_for_the_buyer(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=3)
    url = f"/competitions/{cw.competition_id}/bids"
    kept = [client.post(url, json=_body(), headers=b.headers).json()["bid_id"] for b in cw.bidders[:2]]
    gone = client.post(url, json=_body(), headers=cw.bidders[2].headers).json()["bid_id"]
    assert client.post(f"/bids/{gone}/withdraw", headers=cw.bidders[2].headers).status_code == 200
    move_deadline(session, cw.competition_id, from_now=timedelta(seconds=-1))
    opened = client.post(f"/competitions/{cw.competition_id}/open", headers=cw.officer)
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert (body["eligible"], body["ineligible"], "withdrawn" in body) == (2, 0, False)
    assert sorted(x["bid_id"] for x in body["bids"]) == sorted(kept)
    listed = client.get(url, headers=cw.officer).json()
    assert sorted(x["bid_id"] for x in listed) == sorted(kept)
    assert client.get(f"/bids/{gone}", headers=cw.officer).status_code == 404
    # Its own supplier still sees its withdrawn bid and receipts; the audit trail keeps the withdrawal.
    assert client.get(f"/bids/{gone}", headers=cw.bidders[2].headers).json()["state"] == "withdrawn"


def _body() -> dict[str, object]:
    return {"lines": [_line("LAHTI", METHOD="Menetelmä.", EMPLOYERS="Työnantajat.")]}


def test_a_bid_cannot_be_confirmed_past_an_amendment_that_changed_the_sub_criteria(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=3)
    receipt = client.post(
        f"/competitions/{cw.competition_id}/bids", json=_body(), headers=cw.bidders[0].headers
    )
    criteria = [
        {"code": "METHOD", "name": "Menetelmä", "weight_bp": 5000},
        {"code": "AFTERCARE", "name": "Jälkiseuranta", "weight_bp": 5000},
    ]
    amended = client.post(
        f"/competitions/{cw.competition_id}/amendments",
        json={"reason": "Jälkiseuranta lisätään arviointiin.", "changes": {"quality_criteria": criteria}},
        headers=cw.officer,
    )
    assert amended.status_code == 200, amended.text
    refused = client.post(f"/bids/{receipt.json()['bid_id']}/confirm", headers=cw.bidders[0].headers)
    assert (refused.status_code, refused.json()["amendments"]) == (409, [1])
    assert "submit the bid again" in refused.json()["detail"]
    line = _line("LAHTI", METHOD="Menetelmä.", AFTERCARE="Seuranta 6 kk.")
    again = client.post(
        f"/competitions/{cw.competition_id}/bids", json={"lines": [line]}, headers=cw.bidders[0].headers
    )
    assert (again.status_code, again.json()["version"]) == (201, 2)
