"""Who reads which results: a bidder only its own lines and prices to win; 404 for everyone else."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from procurement.core.clock import utc_now
from registry.models import Admission
from tests.api.test_evaluation import QUALITY, Opened, evaluate, open_competition, score_all
from tests.factories.core import bearer, make_token
from tests.factories.minicompetition import make_bidders


def test_a_bidder_reads_only_its_own_lines(client: TestClient[Litestar], session: Session) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    b = o.bidders[1]
    assert client.get(f"/competitions/{o.competition_id}/my-result", headers=b.headers).status_code == 404
    run = evaluate(client, o)

    seen = client.get(f"/evaluation-runs/{run['id']}", headers=b.headers)
    assert seen.status_code == 200
    body = seen.json()
    assert [(x["lot"], x["bid_id"], x["allocated"]) for x in body["lines"]] == [("LAHTI", o.bid_ids[1], 20)]
    assert (body["objective"], body["budget_used_cents"], body["lots"]) == (None, None, [])
    # Nothing of the other bidders appears anywhere in what B receives.
    for i in (0, 2, 3):
        assert o.bid_ids[i] not in seen.text
        assert o.bidders[i].supplier.business_id not in seen.text
        assert o.bidders[i].supplier.name not in seen.text
    mine = client.get(f"/competitions/{o.competition_id}/my-result", headers=b.headers).json()
    assert (mine["run_seq"], mine["bid_id"], mine["bid_state"], mine["award_issued"]) == (
        1,
        o.bid_ids[1],
        "eligible",
        False,
    )
    assert o.bid_ids[0] not in str(mine)

    # The whole table is for the buying authority's officers only.
    officer_view = client.get(f"/evaluation-runs/{run['id']}", headers=o.officer).json()
    assert len(officer_view["lines"]) == 7
    outsider = make_bidders(session, o.world, count=1, start=9)[0]
    member = make_token(session, role="officer", authority_id=o.world.member_id)
    for headers in (outsider.headers, bearer(member), bearer(o.world.admin)):
        refused = client.get(f"/evaluation-runs/{run['id']}", headers=headers)
        assert (refused.status_code, refused.json()["detail"]) == (404, "No evaluation run has that id.")
    assert (
        client.get(f"/competitions/{o.competition_id}/my-result", headers=outsider.headers).status_code == 404
    )
    assert client.get(f"/evaluation-runs/{run['id']}").status_code == 401


def test_price_to_win_is_own_line_only_and_kept_with_the_run(
    client: TestClient[Litestar], session: Session
) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    run = evaluate(client, o)
    url = f"/evaluation-runs/{run['id']}/price-to-win"
    d_lahti = {"bid_id": o.bid_ids[3], "lot_id": o.lot_ids["LAHTI"]}

    # Another supplier cannot ask for D's line (404, as if it did not exist), by POST or GET.
    b = o.bidders[1].headers
    assert client.post(url, json=d_lahti, headers=b).status_code == 404
    hidden = client.get(url, params=d_lahti, headers=b)
    assert (hidden.status_code, hidden.json()["detail"]) == (
        404,
        "This run has no line of yours for that bid and lot.",
    )
    assert session.execute(text("SELECT price_to_win FROM evaluation_run")).scalar_one() == {}

    # Before the award D itself is refused; the buying officer asks: 40 participants are served only by A
    # and B, so no price wins.
    early = client.post(url, json=d_lahti, headers=o.bidders[3].headers)
    assert (early.status_code, early.json()["detail"]) == (
        409,
        "Your price to win is shown once the award decision on this evaluation run is issued; until then "
        "only the buying authority's officers see it.",
    )
    first = client.post(url, json=d_lahti, headers=o.officer)
    assert first.status_code == 200, first.text
    assert (first.json()["unit_price_cents"], first.json()["price_to_win_cents"]) == (280_000, None)
    assert "would not have won participants in lot LAHTI even at 0.01 €" in first.json()["explanation"]
    stored = session.execute(text("SELECT price_to_win FROM evaluation_run")).scalar_one()
    assert list(stored) == [f"LAHTI/{o.bid_ids[3]}"]
    my_result = f"/competitions/{o.competition_id}/my-result"
    assert client.get(my_result, headers=o.bidders[3].headers).json()["lines"][0]["price_to_win"] is None

    # The award computes every other losing line's price once; D then reads its own, as computed before.
    awarded = client.post(
        f"/competitions/{o.competition_id}/award", json={"evaluation_run_id": run["id"]}, headers=o.officer
    )
    assert awarded.status_code == 200, awarded.text
    again = client.get(url, params=d_lahti, headers=o.bidders[3].headers)
    assert again.json() == first.json()
    assert (
        client.get(my_result, headers=o.bidders[3].headers).json()["lines"][0]["price_to_win"] == first.json()
    )
    stored = session.execute(text("SELECT price_to_win FROM evaluation_run")).scalar_one()
    # Every losing admissible line: D in both lots (PH-YOUTH computed at the award).
    assert sorted(stored) == [f"LAHTI/{o.bid_ids[3]}", f"PH-YOUTH/{o.bid_ids[3]}"]
    audits = session.execute(
        text(
            "SELECT action, count(*) FROM audit_record WHERE action LIKE 'evaluation.price%' GROUP BY action"
            " ORDER BY action"
        )
    ).all()
    assert [tuple(x) for x in audits] == [("evaluation.price_to_win", 1), ("evaluation.prices_to_win", 1)]

    # Winning and inadmissible lines have no price to win.
    won = client.post(url, json={"bid_id": o.bid_ids[1], "lot_id": o.lot_ids["LAHTI"]}, headers=b)
    assert (won.status_code, won.json()["detail"]) == (
        409,
        "This line already wins 20 participants in lot LAHTI.",
    )
    over = client.post(
        url, json={"bid_id": o.bid_ids[2], "lot_id": o.lot_ids["LAHTI"]}, headers=o.bidders[2].headers
    )
    assert over.status_code == 409
    assert over.json()["detail"].startswith("This line is inadmissible (over the lot's maximum unit price")


def test_suppliers_out_of_standing_are_explained(client: TestClient[Litestar], session: Session) -> None:
    until = (utc_now().date() + timedelta(days=30)).isoformat()

    def suspend(o: Opened, index: int, reason: str) -> None:
        admission = session.exec(
            select(Admission).where(Admission.supplier_id == o.bidders[index].supplier.id)
        ).one()
        done = client.post(
            f"/admissions/{admission.id}/suspend", json={"until": until, "reason": reason}, headers=o.officer
        )
        assert done.status_code == 200, done.text

    # C is suspended before opening: its bid stays sealed and its result says why, with no lines.
    o = open_competition(client, session, before_opening=lambda o: suspend(o, 2, "verovelkaa"))
    score_all(client, o, {k: v for k, v in QUALITY.items() if k[0] != 2})
    # B is suspended after the deadline: standing is decided as of T, so B keeps its place (SPEC 4.2).
    suspend(o, 1, "vakuutus puuttuu")
    run = evaluate(client, o)
    c = client.get(f"/competitions/{o.competition_id}/my-result", headers=o.bidders[2].headers).json()
    assert (c["bid_state"], c["lines"]) == ("ineligible", [])
    assert (
        c["ineligibility_reason"]
        == f"supplier no longer eligible in the category: suspended until {until}: verovelkaa"
    )
    b = client.get(f"/competitions/{o.competition_id}/my-result", headers=o.bidders[1].headers).json()
    assert [(x["lot"], x["admissible"], x["reason_code"], x["allocated"]) for x in b["lines"]] == [
        ("LAHTI", True, None, 20)
    ]
    lahti = {x["bid_id"]: x["allocated"] for x in run["lines"] if x["lot"] == "LAHTI"}
    assert lahti == {o.bid_ids[0]: 20, o.bid_ids[1]: 20, o.bid_ids[3]: 0}
