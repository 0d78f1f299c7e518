"""The award decision through the HTTP API: refusals, overrides, the public view, who reads contracts."""

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from tests.api.test_evaluation import Opened, evaluate, open_competition, score_all
from tests.factories.core import bearer, make_token
from tests.factories.minicompetition import count


def _award(
    client: TestClient[Litestar], o: Opened, run_id: str, overrides: list[dict[str, Any]] | None = None
):  # type: ignore[no-untyped-def]
    return client.post(
        f"/competitions/{o.competition_id}/award",
        json={"evaluation_run_id": run_id, "overrides": overrides or []},
        headers=o.officer,
    )


def _lot(o: Opened, lot: str, reason: str, *placements: tuple[int, int]) -> dict[str, Any]:
    return {
        "lot_id": o.lot_ids[lot],
        "reason": reason,
        "allocations": [{"bid_id": o.bid_ids[i], "volume": v} for i, v in placements],
    }


def test_public_award_view_only_after_the_decision(client: TestClient[Litestar], session: Session) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    run = evaluate(client, o)
    before = client.get(f"/competitions/{o.competition_id}/award")
    assert (before.status_code, before.json()["detail"]) == (
        404,
        "The competition is 'evaluated'; no award decision has been issued.",
    )
    assert _award(client, o, run["id"]).status_code == 200
    public = client.get(f"/competitions/{o.competition_id}/award")
    assert public.status_code == 200
    lots = {x["lot"]: x for x in public.json()["lots"]}
    assert sorted(
        (w["supplier_name"], w["volume"], w["unit_price_cents"]) for w in lots["PH-YOUTH"]["winners"]
    ) == [
        ("Valmennus 1 Oy", 15, 240_000),
        ("Valmennus 3 Oy", 10, 220_000),
    ]
    assert (lots["LAHTI"]["awarded"], lots["LAHTI"]["demand"], lots["LAHTI"]["overridden"]) == (40, 40, False)
    # The public view names winners only: the losing bidder D appears nowhere.
    assert o.bidders[3].supplier.name not in public.text
    assert o.bid_ids[3] not in public.text


def test_award_refused_for_a_winner_with_expired_evidence(
    client: TestClient[Litestar], session: Session
) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    run = evaluate(client, o)
    a = o.bidders[0].supplier
    session.execute(
        text(
            "UPDATE evidence SET valid_until = current_date - 3 "
            "WHERE supplier_id = :id AND type_code = 'TAX_DEBT'"
        ),
        {"id": a.id},
    )
    refused = _award(client, o, run["id"])
    assert refused.status_code == 409
    body = refused.json()
    assert body["title"] == "Winner cannot be awarded"
    assert f"{a.name} ({a.business_id}): TAX_DEBT: expired on" in body["detail"]
    assert [s["business_id"] for s in body["suppliers"]] == [a.business_id]
    assert count(session, "award_decision") == 0
    assert client.get(f"/competitions/{o.competition_id}", headers=o.officer).json()["state"] == "evaluated"

    # Overriding both of A's lots to other bidders lets the award go ahead.
    reason = "A:n verovelkatodistus on vanhentunut; osa-alue annetaan seuraaville."
    overrides = [_lot(o, "LAHTI", reason, (1, 24), (3, 10)), _lot(o, "PH-YOUTH", reason, (2, 10), (3, 15))]
    ok = _award(client, o, run["id"], overrides)
    assert ok.status_code == 200, ok.text
    assert ok.json()["total_value_cents"] == 24 * 200_000 + 10 * 280_000 + 10 * 220_000 + 15 * 260_000


def test_overrides_are_checked_against_the_announced_rules(
    client: TestClient[Litestar], session: Session
) -> None:
    o = open_competition(client, session, budget_cents=15_000_000)
    score_all(client, o)
    run = evaluate(client, o)
    assert run["budget_used_cents"] == 14_800_000
    why = "Perusteltu poikkeama."
    cases = [
        (
            [_lot(o, "LAHTI", why, (0, 20), (1, 15), (3, 5))],
            "Lot LAHTI gets 3 suppliers, over the announced limit of 2.",
        ),
        ([_lot(o, "LAHTI", why, (0, 20), (1, 24))], "Lot LAHTI gets 44 participants, over its demand 40."),
        (
            [_lot(o, "LAHTI", why, (1, 24), (3, 12))],
            f"Bid {o.bid_ids[3]} gets 12 participants in lot LAHTI, over its capacity 10.",
        ),
        ([_lot(o, "PH-YOUTH", why, (1, 10))], f"Bid {o.bid_ids[1]} has no line in lot PH-YOUTH."),
        (
            [_lot(o, "PH-YOUTH", why, (3, 15), (0, 10))],
            "The allocation breaks an announced rule: allocation costs 153000.00 €, "
            "over the budget 150000.00 €.",
        ),
        (
            [_lot(o, "LAHTI", why, (1, 24), (3, 4))],
            f"The allocation breaks an announced rule: bid {o.bid_ids[3]} in lot LAHTI gets 4, "
            "under the minimum allocation 5.",
        ),
    ]
    for overrides, detail in cases:
        refused = _award(client, o, run["id"], overrides)
        assert (refused.status_code, refused.json()["detail"]) == (422, detail)
    inadmissible = _award(client, o, run["id"], [_lot(o, "LAHTI", why, (2, 20))])
    assert inadmissible.status_code == 422
    assert "is inadmissible (over the lot's maximum unit price" in inadmissible.json()["detail"]
    no_reason = _award(client, o, run["id"], [_lot(o, "LAHTI", "", (0, 20))])
    assert no_reason.status_code == 422
    assert count(session, "award_decision") == 0


def test_transitions_after_the_award_are_refused(client: TestClient[Litestar], session: Session) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    run = evaluate(client, o)
    cid = o.competition_id
    early = client.post(f"/competitions/{cid}/contracts", headers=o.officer)
    assert (early.status_code, early.json()["detail"]) == (
        409,
        "The competition is 'evaluated'; it cannot become 'concluded'.",
    )
    assert _award(client, o, run["id"]).status_code == 200
    again = _award(client, o, run["id"])
    assert (again.status_code, again.json()["current_state"]) == (409, "awarded")
    assert again.json()["detail"] == "The competition is 'awarded'; its award decision was already issued."
    rerun = client.post(f"/competitions/{cid}/evaluation-runs", headers=o.officer)
    assert (rerun.status_code, rerun.json()["detail"]) == (
        409,
        "The competition is 'awarded'; it cannot become 'evaluated'.",
    )
    score = {"bid_id": o.bid_ids[0], "lot_id": o.lot_ids["LAHTI"], "criterion": "METHOD", "score": 10}
    rescore = client.put(f"/competitions/{cid}/quality-scores", json={"scores": [score]}, headers=o.officer)
    assert (rescore.status_code, rescore.json()["current_state"]) == (409, "awarded")
    cancel = client.post(
        f"/competitions/{cid}/cancel", json={"reason": "Ei enää tarvetta."}, headers=o.officer
    )
    assert (cancel.status_code, cancel.json()["current_state"]) == (409, "awarded")
    runs = client.get(f"/competitions/{cid}/evaluation-runs", headers=o.officer).json()
    assert [(r["seq"], r["awarded"]) for r in runs] == [(1, True)]


def test_infeasible_rules_give_a_clear_problem_and_store_nothing(
    client: TestClient[Litestar], session: Session
) -> None:
    rules = {"max_suppliers_per_lot": 2, "max_share_bp": 6000, "min_allocation": 30}
    o = open_competition(client, session, allocation_rules=rules)
    score_all(client, o)
    refused = client.post(f"/competitions/{o.competition_id}/evaluation-runs", headers=o.officer)
    assert refused.status_code == 409  # the stored terms and bids refuse it: a conflict, not bad input
    body = refused.json()
    assert body["title"] == "Allocation rules cannot be met"
    assert body["constraint"] == (
        "minimum allocation 30 exceeds the maximum share 60.00 % of the lot's demand 40 (24 participants) "
        "in lot LAHTI; minimum allocation 30 exceeds the lot's demand 25 in lot PH-YOUTH"
    )
    assert body["detail"].endswith("Nothing was stored; the competition stays 'opened'.")
    assert "Traceback" not in refused.text
    assert count(session, "evaluation_run") == 0


def test_contracts_are_read_by_the_buyer_and_their_supplier_only(
    client: TestClient[Litestar], session: Session
) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    run = evaluate(client, o)
    assert _award(client, o, run["id"]).status_code == 200
    session.execute(
        text(
            "UPDATE award_decision SET issued_at = issued_at - interval '20 days', "
            "standstill_ends_at = standstill_ends_at - interval '20 days'"
        )
    )
    made = client.post(f"/competitions/{o.competition_id}/contracts", headers=o.officer).json()
    by_name = {x["supplier_name"]: x for x in made}
    assert sorted((n, x["value_ceiling_cents"]) for n, x in by_name.items()) == [
        ("Valmennus 1 Oy", 20 * 250_000 + 15 * 240_000),
        ("Valmennus 2 Oy", 20 * 200_000),
        ("Valmennus 3 Oy", 10 * 220_000),
    ]
    assert count(session, "contract_lot") == 4
    finance = bearer(make_token(session, role="finance", authority_id=o.world.lead_id))
    assert len(client.get("/contracts", headers=finance).json()) == 3
    assert len(client.get(f"/competitions/{o.competition_id}/contracts", headers=o.officer).json()) == 3
    a = o.bidders[0].headers
    assert [x["supplier_name"] for x in client.get("/contracts", headers=a).json()] == ["Valmennus 1 Oy"]
    assert client.get(f"/contracts/{by_name['Valmennus 1 Oy']['id']}", headers=a).status_code == 200
    other = by_name["Valmennus 2 Oy"]["id"]
    member = bearer(make_token(session, role="officer", authority_id=o.world.member_id))
    for headers in (a, o.bidders[3].headers, member, bearer(o.world.admin)):
        refused = client.get(f"/contracts/{other}", headers=headers)
        assert (refused.status_code, refused.json()["detail"]) == (404, "No contract has that id.")
    assert client.get("/contracts", headers=member).json() == []
    assert client.get("/contracts", headers=o.bidders[3].headers).json() == []
    assert client.get("/contracts", headers=bearer(o.world.admin)).status_code == 404
    assert client.get(f"/contracts/{other}").status_code == 401
    again = client.post(f"/competitions/{o.competition_id}/contracts", headers=o.officer)
    assert (again.status_code, again.json()["current_state"]) == (409, "concluded")
    assert count(session, "contract") == 3
    # Concluding is audited per contract in the same transaction.
    audited = session.execute(text("SELECT count(*) FROM audit_record WHERE action = 'contract.concluded'"))
    assert audited.scalar_one() == 3
