"""Submitting bids over the API: receipts, strict types, idempotency, sealing, and the clock deciding."""

import uuid
from datetime import datetime, timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from minicompetition.tender import bid_rules, rules
from procurement.core import audit
from procurement.core.clock import utc_now
from registry.models import Admission
from tests.factories.core import bearer, make_token
from tests.factories.minicompetition import bid_body, count, make_bidders, move_deadline, publish_competition


def _tables(session: Session) -> tuple[int, int, int]:
    return count(session, "bid"), count(session, "bid_version"), count(session, "audit_record")


def test_receipt_names_bid_version_time_and_canonical_sha256(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=1)
    response = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=cw.bidders[0].headers
    )
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["version"] == 1
    assert receipt["competition_id"] == cw.competition_id
    line = bid_body()["lines"][0]
    expected = bid_rules.canonical_bid(
        competition_id=cw.competition_id,  # type: ignore[arg-type]
        lines=[
            bid_rules.BidLineTerms(
                lot_code=line["lot"],
                unit_price_cents=line["unit_price_cents"],
                capacity=line["capacity"],
                committed_flow_through_bp=line["committed_flow_through_bp"],
                quality_answers=line["quality_answers"],
            )
        ],
    )
    assert receipt["sha256"] == bid_rules.bid_sha256(expected)
    stored = session.execute(
        text("SELECT received_at, sha256 FROM bid_version WHERE bid_id = :id"), {"id": receipt["bid_id"]}
    ).one()
    assert stored.sha256 == receipt["sha256"]
    assert stored.received_at == datetime.fromisoformat(receipt["received_at"])
    own = client.get(f"/bids/{receipt['bid_id']}", headers=cw.bidders[0].headers).json()
    assert (own["state"], own["current_version"], own["sealed"], own["lines"]) == ("submitted", 1, True, None)
    assert own["versions"][0]["sha256"] == receipt["sha256"]


def test_price_as_float_or_comma_string_is_a_clear_422(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=1)
    before = _tables(session)
    for price in (2500.5, 2500.0, "12,50", "1250"):
        body = bid_body()
        body["lines"][0]["unit_price_cents"] = price
        response = client.post(
            f"/competitions/{cw.competition_id}/bids", json=body, headers=cw.bidders[0].headers
        )
        assert response.status_code == 422, (price, response.text)
        problem = response.json()
        assert problem["errors"][0]["field"] == "lines[0].unit_price_cents"
        assert "Expected `int`" in problem["errors"][0]["message"]
        got = "float" if isinstance(price, float) else "str"
        assert problem["detail"] == f"Invalid input: lines[0].unit_price_cents: Expected `int`, got `{got}`"
    for field, value in (("capacity", 2.5), ("committed_flow_through_bp", "80%"), ("extra", 1)):
        body = bid_body()
        body["lines"][0][field] = value
        response = client.post(
            f"/competitions/{cw.competition_id}/bids", json=body, headers=cw.bidders[0].headers
        )
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert field in error["field"] + error["message"]
    assert _tables(session) == before


def test_rule_breaking_lines_are_422_naming_the_field(client: TestClient[Litestar], session: Session) -> None:
    cw = publish_competition(client, session, bidders=1)
    headers = cw.bidders[0].headers
    before = _tables(session)
    cases = [
        ({"lot": "NOPE"}, "lines[0].lot"),
        ({"unit_price_cents": 0}, "lines[0].unit_price_cents"),
        ({"capacity": 0}, "lines[0].capacity"),
        ({"committed_flow_through_bp": 10_001}, "lines[0].committed_flow_through_bp"),
        ({"quality_answers": {"GUESS": "x"}}, "lines[0].quality_answers.GUESS"),
    ]
    for change, field in cases:
        body = bid_body()
        body["lines"][0].update(change)
        response = client.post(f"/competitions/{cw.competition_id}/bids", json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    empty = client.post(f"/competitions/{cw.competition_id}/bids", json={"lines": []}, headers=headers)
    assert empty.json()["errors"][0]["field"] == "lines"
    assert _tables(session) == before


def test_idempotent_retry_returns_the_same_receipt_and_one_version(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=1)
    headers = {**cw.bidders[0].headers, "Idempotency-Key": "erp-4711"}
    first = client.post(f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=headers)
    assert first.status_code == 201
    before = _tables(session)
    retry = client.post(f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=headers)
    assert retry.status_code == 200
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert _tables(session) == before
    other_body = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(price=1), headers=headers
    )
    assert other_body.status_code == 409
    assert "erp-4711" in other_body.json()["detail"]
    assert "different bid body" in other_body.json()["detail"]
    assert _tables(session) == before
    # Even after the deadline the retry of an accepted request returns its receipt (nothing is written).
    move_deadline(session, cw.competition_id, from_now=timedelta(seconds=-1))  # the clock passes the deadline
    late_retry = client.post(f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=headers)
    assert (late_retry.status_code, late_retry.json()) == (200, first.json())


def test_another_suppliers_bid_is_404(client: TestClient[Litestar], session: Session) -> None:
    cw = publish_competition(client, session, bidders=2)
    owner, other = cw.bidders
    receipt = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=owner.headers
    ).json()
    assert client.get(f"/bids/{receipt['bid_id']}", headers=other.headers).status_code == 404
    assert client.post(f"/bids/{receipt['bid_id']}/withdraw", headers=other.headers).status_code == 404
    assert client.post(f"/bids/{receipt['bid_id']}/confirm", headers=other.headers).status_code == 404
    assert client.get(f"/bids/{receipt['bid_id']}", headers=owner.headers).status_code == 200
    assert client.get(f"/competitions/{cw.competition_id}/bids", headers=other.headers).status_code == 404


def test_nobody_else_reads_bids_or_their_count_before_the_deadline(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=2)
    cid = cw.competition_id
    receipt = client.post(f"/competitions/{cid}/bids", json=bid_body(), headers=cw.bidders[0].headers).json()
    listing = client.get(f"/competitions/{cid}/bids", headers=cw.officer)
    assert listing.status_code == 403
    assert listing.json()["title"] == "Bids are sealed"
    assert "neither their content nor their number" in listing.json()["detail"]
    assert set(listing.json()) == {"type", "title", "status", "detail", "instance", "request_id"}
    one = client.get(f"/bids/{receipt['bid_id']}", headers=cw.officer)
    assert one.status_code == 404  # as for an unknown id (test_no_oracle_for_a_bid_id)
    admin = client.get(f"/competitions/{cid}/bids", headers=bearer(cw.world.admin))
    assert admin.status_code == 403
    assert "Admins never read bid content" in admin.json()["detail"]
    assert client.get(f"/competitions/{cid}/bids", headers=bearer(cw.world.member_officer)).status_code == 404
    assert (
        client.get(f"/bids/{receipt['bid_id']}", headers=bearer(cw.world.member_officer)).status_code == 404
    )
    public = client.get(f"/competitions/{cid}").json()
    assert not any("bid" in key for key in public)


def test_late_bid_is_refused_naming_the_deadline(client: TestClient[Litestar], session: Session) -> None:
    cw = publish_competition(client, session, bidders=1)
    move_deadline(session, cw.competition_id, from_now=timedelta(seconds=-1))  # the clock passes the deadline
    deadline = session.execute(
        text("SELECT tender_deadline FROM competition WHERE id = :id"), {"id": cw.competition_id}
    ).scalar_one()
    before = _tables(session)
    response = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=cw.bidders[0].headers
    )
    assert response.status_code == 409
    assert response.json()["title"] == "Tender deadline passed"
    assert rules.helsinki_text(deadline) in response.json()["detail"]
    assert "Europe/Helsinki" in response.json()["detail"]
    assert _tables(session) == before


def test_every_bid_write_after_the_deadline_is_refused_before_opening(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=1)
    headers = cw.bidders[0].headers
    receipt = client.post(f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=headers).json()
    move_deadline(session, cw.competition_id, from_now=timedelta(seconds=-1))  # the clock passes the deadline
    stored = session.execute(text("SELECT state FROM competition WHERE id = :id"), {"id": cw.competition_id})
    assert stored.scalar_one() == "published"  # nobody has opened or closed it: the clock alone decides
    before = _tables(session)
    resubmit = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(price=1000), headers=headers
    )
    withdraw = client.post(f"/bids/{receipt['bid_id']}/withdraw", headers=headers)
    confirm = client.post(f"/bids/{receipt['bid_id']}/confirm", headers=headers)
    assert [r.status_code for r in (resubmit, withdraw, confirm)] == [409, 409, 409]
    assert all("The tender deadline passed at" in r.json()["detail"] for r in (resubmit, withdraw, confirm))
    assert _tables(session) == before


def test_bid_from_a_supplier_not_invited_is_403(client: TestClient[Litestar], session: Session) -> None:
    cw = publish_competition(client, session, bidders=1)
    outsider = make_bidders(session, cw.world, count=1, start=50)[0]  # admitted after publication
    before = _tables(session)
    response = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=outsider.headers
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "You are not invited to this competition."
    officer = client.post(f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=cw.officer)
    assert officer.status_code == 403
    assert _tables(session) == before


def test_bid_from_a_suspended_supplier_is_refused(client: TestClient[Litestar], session: Session) -> None:
    cw = publish_competition(client, session, bidders=1)
    bidder = cw.bidders[0]
    admission = session.exec(select(Admission).where(Admission.supplier_id == bidder.supplier.id)).one()
    until = utc_now().date() + timedelta(days=30)
    suspended = client.post(
        f"/admissions/{admission.id}/suspend",
        json={"until": until.isoformat(), "reason": "vakuutus puuttuu"},
        headers=cw.officer,
    )
    assert suspended.status_code == 200
    before = _tables(session)
    response = client.post(f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=bidder.headers)
    assert response.status_code == 409
    assert f"suspended until {until.isoformat()}" in response.json()["detail"]
    assert "vakuutus puuttuu" in response.json()["detail"]
    assert _tables(session) == before


def test_withdraw_then_submit_again(client: TestClient[Litestar], session: Session) -> None:
    cw = publish_competition(client, session, bidders=1)
    headers = cw.bidders[0].headers
    first = client.post(f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=headers).json()
    assert client.post(f"/bids/{first['bid_id']}/withdraw", headers=headers).json()["version"] == 1
    again = client.post(f"/bids/{first['bid_id']}/withdraw", headers=headers)
    assert again.status_code == 409
    assert again.json()["current_state"] == "withdrawn"
    second = client.post(f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=headers).json()
    assert (second["bid_id"], second["version"]) == (first["bid_id"], 2)
    inbox = client.get("/inbox", headers=headers).json()
    assert inbox[0]["my_bid"] == {
        "bid_id": first["bid_id"],
        "state": "submitted",
        "current_version": 2,
        "needs_confirmation": False,
    }


def test_amendment_moving_the_deadline_asks_earlier_bids_to_confirm(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=3)
    cid = cw.competition_id
    confirmer, silent, later = cw.bidders
    r_confirmer = client.post(f"/competitions/{cid}/bids", json=bid_body(), headers=confirmer.headers).json()
    r_silent = client.post(
        f"/competitions/{cid}/bids", json=bid_body(price=150_000), headers=silent.headers
    ).json()
    session.execute(
        text(
            "UPDATE competition SET published_at = published_at - interval '12 days', "
            "qa_deadline = clock_timestamp(), tender_deadline = clock_timestamp() + interval '2 days' "
            "WHERE id = :id"
        ),
        {"id": cid},
    )  # simulates the clock running on to two days before the deadline
    new_deadline = (utc_now() + timedelta(days=5)).isoformat()
    lots = [
        {
            "code": "LAHTI",
            "municipality_codes": ["398"],
            "target_group": "long_term_unemployed",
            "demand": 60,
        },
    ]
    amended = client.post(
        f"/competitions/{cid}/amendments",
        json={"reason": "Kysyntä kasvoi.", "changes": {"lots": lots, "tender_deadline": new_deadline}},
        headers=cw.officer,
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["amendments"][0]["reason"] == "Kysyntä kasvoi."
    assert amended.json()["lots"][0]["demand"] == 60
    assert amended.json()["terms_version"] == 1
    for bidder in (confirmer, silent):
        assert (
            client.get(f"/inbox/{cid}", headers=bidder.headers).json()["my_bid"]["needs_confirmation"] is True
        )
    r_later = client.post(
        f"/competitions/{cid}/bids", json=bid_body(price=210_000), headers=later.headers
    ).json()
    assert client.get(f"/inbox/{cid}", headers=later.headers).json()["my_bid"]["needs_confirmation"] is False
    confirmed = client.post(f"/bids/{r_confirmer['bid_id']}/confirm", headers=confirmer.headers)
    assert confirmed.status_code == 200
    assert confirmed.json() == r_confirmer  # same version, same receipt
    assert (
        client.get(f"/inbox/{cid}", headers=confirmer.headers).json()["my_bid"]["needs_confirmation"] is False
    )

    move_deadline(session, cid, from_now=timedelta(seconds=-1))  # the clock passes the deadline
    opened = client.post(f"/competitions/{cid}/open", headers=cw.officer).json()
    states = {b["bid_id"]: (b["state"], b["ineligibility_reason"]) for b in opened["bids"]}
    assert states[r_confirmer["bid_id"]] == ("eligible", None)
    assert states[r_later["bid_id"]] == ("eligible", None)
    state, reason = states[r_silent["bid_id"]]
    assert state == "ineligible"
    assert reason.startswith("not confirmed after the amendment")
    unopened = session.execute(
        text("SELECT count(*) FROM bid_line WHERE bid_id = :id"), {"id": r_silent["bid_id"]}
    )
    assert unopened.scalar_one() == 0


def test_bids_need_a_supplier_token(client: TestClient[Litestar], session: Session) -> None:
    cw = publish_competition(client, session, bidders=1)
    assert client.post(f"/competitions/{cw.competition_id}/bids", json=bid_body()).status_code == 401
    finance = make_token(session, role="finance", authority_id=cw.world.lead_id)
    assert (
        client.post(
            f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=bearer(finance)
        ).status_code
        == 403
    )


def test_a_bids_audit_chain_starts_in_its_first_statement_and_verifies(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=1)
    url, headers = f"/competitions/{cw.competition_id}/bids", cw.bidders[0].headers
    first = client.post(url, json=bid_body(), headers=headers).json()
    second = client.post(url, json=bid_body(price=210_000), headers=headers).json()
    rows = session.execute(
        text(
            "SELECT seq, action, after->>'version' AS version, after->>'sha256' AS sha256 FROM audit_record"
            " WHERE aggregate_type = 'bid' AND aggregate_id = :id ORDER BY seq"
        ),
        {"id": first["bid_id"]},
    ).all()
    assert [tuple(r) for r in rows] == [
        (1, "bid.submitted", "1", first["sha256"]),
        (2, "bid.submitted", "2", second["sha256"]),
    ]
    head = session.execute(
        text("SELECT seq FROM audit_head WHERE aggregate_type = 'bid' AND aggregate_id = :id"),
        {"id": first["bid_id"]},
    ).scalar_one()
    assert head == 2
    assert audit.verify(session).problems == []


def test_a_bids_audit_time_follows_the_test_clock_like_every_other_route(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=1)
    client.app.state.clock_offset.seconds = 86_400  # what PUT /_test/clock sets
    before = utc_now()
    receipt = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=cw.bidders[0].headers
    ).json()
    at = session.execute(
        text("SELECT at FROM audit_record WHERE aggregate_type = 'bid' AND aggregate_id = :id"),
        {"id": receipt["bid_id"]},
    ).scalar_one()
    assert timedelta(days=1) <= at - before < timedelta(days=1, minutes=1)


def test_no_oracle_for_a_bid_id_before_opening(client: TestClient[Litestar], session: Session) -> None:
    """An officer's or admin's GET /bids/{id} answers alike for a real bid id and an unknown one."""
    cw = publish_competition(client, session, bidders=1)
    receipt = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=cw.bidders[0].headers
    ).json()

    def answers(headers: dict[str, str]) -> list[tuple[int, str, str]]:
        out = []
        for bid_id in (receipt["bid_id"], str(uuid.uuid4())):
            got = client.get(f"/bids/{bid_id}", headers=headers)
            out.append((got.status_code, got.json()["title"], got.json()["detail"]))
        return out

    for headers in (cw.officer, bearer(cw.world.admin), bearer(cw.world.member_officer)):
        real, unknown = answers(headers)
        assert real == unknown == (404, "Not found", "No bid has that id.")
    move_deadline(session, cw.competition_id, from_now=timedelta(seconds=-1))  # closed, not yet opened
    real, unknown = answers(cw.officer)
    assert real == unknown
