"""The award decision as a legal act: its document, delivery, rectification, withdrawal and appeals."""

import base64
import hashlib
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from outcomes.notifications.fanout import fan_out
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.api.test_evaluation import Opened, evaluate, open_competition, score_all
from tests.factories.core import bearer
from tests.factories.minicompetition import count
from tests.factories.registry import make_supplier

REASONS = "Tarjouksemme laatupisteet on laskettu väärin: menetelmäkuvaus täyttää kaikki vaatimukset."


def _awarded(client: TestClient[Litestar], session: Session) -> tuple[Opened, dict[str, Any]]:
    o = open_competition(client, session)
    score_all(client, o)
    run = evaluate(client, o)
    made = client.post(
        f"/competitions/{o.competition_id}/award",
        json={"evaluation_run_id": run["id"], "overrides": []},
        headers=o.officer,
    )
    assert made.status_code == 200, made.text
    decisions = client.get(f"/competitions/{o.competition_id}/award-decisions", headers=o.officer).json()
    return o, decisions[0]


def _after_standstill(session: Session) -> None:
    session.execute(
        text(
            "UPDATE award_decision SET issued_at = issued_at - interval '20 days',"
            " standstill_ends_at = standstill_ends_at - interval '20 days'"
        )
    )


def _file(client: TestClient[Litestar], o: Opened, decision: dict[str, Any], bidder: int = 3, **extra: Any):  # type: ignore[no-untyped-def]
    return client.post(
        f"/award-decisions/{decision['id']}/rectification-requests",
        json={"reasons": REASONS, **extra},
        headers=o.bidders[bidder].headers,
    )


def test_the_issued_decision_is_stored_hashed_and_delivered_to_every_bidder(
    client: TestClient[Litestar], session: Session
) -> None:
    o, decision = _awarded(client, session)
    assert (decision["state"], decision["status"], decision["seq"]) == ("delivered", "standstill", 1)
    assert decision["delivered_at"] == decision["issued_at"]
    assert [d["lang"] for d in decision["documents"]] == ["en", "fi"]
    # Every bidder whose bid was opened got it in its inbox at the moment of issue.
    assert sorted(d["business_id"] for d in decision["deliveries"]) == sorted(
        b.supplier.business_id for b in o.bidders
    )
    assert {d["made_available_at"] for d in decision["deliveries"]} == {decision["issued_at"]}
    fi = next(d for d in decision["documents"] if d["lang"] == "fi")
    pdf = client.get(fi["pdf_url"], headers=o.officer)
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    assert pdf.content.startswith(b"%PDF-") and b"pdfaid:part>2<" in pdf.content
    assert hashlib.sha256(pdf.content).hexdigest() == fi["pdf_sha256"] == pdf.headers["digest-sha256"]
    html = client.get(fi["html_url"], headers=o.officer).text
    assert hashlib.sha256(html.encode()).hexdigest() == fi["html_sha256"]
    for words in (
        "Hankintapäätös",
        "Oikaisuohje (hankintaoikaisu)",
        "Valitusosoitus markkinaoikeuteen",
        "Radanrakentajantie 5, 00520 Helsinki",
        "2\u00a0270,00\u00a0€",
        "Valmennus 4 Oy",  # the losing bidder appears in the comparison with its scores
    ):
        assert words in html
    # The hashes are in the audit trail, in the competition's chain.
    stored = session.execute(
        text(
            "SELECT after FROM audit_record WHERE aggregate_id = :c"
            " AND action = 'award_decision.documents_stored'"
        ),
        {"c": o.competition_id},
    ).scalar_one()
    assert {d["pdf_sha256"] for d in stored["documents"]} == {d["pdf_sha256"] for d in decision["documents"]}
    # A stored document is never changed.
    refused = session.connection().exec_driver_sql("SAVEPOINT s")
    try:
        session.execute(text("UPDATE decision_document SET pages = 99"))
        raise AssertionError("the update went through")
    except Exception as exc:
        assert "append-only" in str(exc)
    session.connection().exec_driver_sql("ROLLBACK TO SAVEPOINT s")
    del refused
    # One outbox event announces the delivery; the fan-out turns it into an e-mail per bidder.
    events = (
        session.execute(
            text("SELECT kind FROM outbox_event WHERE subject_id = :c ORDER BY id"), {"c": o.competition_id}
        )
        .scalars()
        .all()
    )
    assert events[-2:] == ["competition.awarded", "competition.award_delivered"]
    fan_out(session, now=utc_now(), settings=Settings())
    mails = session.execute(
        text("SELECT count(*) FROM email_message WHERE kind = 'competition.award_delivered'")
    ).scalar_one()
    assert mails == 4


def test_bidders_read_their_own_delivery_and_others_get_404(
    client: TestClient[Litestar], session: Session
) -> None:
    o, decision = _awarded(client, session)
    d = o.bidders[3]
    mine = client.get(f"/award-decisions/{decision['id']}", headers=d.headers).json()
    assert [x["business_id"] for x in mine["deliveries"]] == [d.supplier.business_id]
    assert mine["deliveries"][0]["first_read_at"] is None
    pdf_url = mine["documents"][0]["pdf_url"]
    assert client.get(pdf_url, headers=d.headers).status_code == 200
    again = client.get(f"/award-decisions/{decision['id']}", headers=d.headers).json()
    assert again["deliveries"][0]["first_read_at"] is not None
    _, stranger = make_supplier(session, business_id="2331972-7")
    member = bearer(o.world.member_officer)
    for headers in (bearer(stranger), member):
        assert client.get(f"/award-decisions/{decision['id']}", headers=headers).status_code == 404
        assert client.get(pdf_url, headers=headers).status_code == 404
        assert (
            client.get(f"/competitions/{o.competition_id}/award-decisions", headers=headers).status_code
            == 404
        )


def test_a_request_in_time_blocks_contracts_until_dismissed(
    client: TestClient[Litestar], session: Session
) -> None:
    o, decision = _awarded(client, session)
    content = b"Liite: pisteytysmuistio"
    filed = _file(
        client,
        o,
        decision,
        attachments=[
            {
                "filename": "muistio.txt",
                "media_type": "text/plain",
                "content_base64": base64.b64encode(content).decode(),
            }
        ],
    )
    assert filed.status_code == 201, filed.text
    request = filed.json()
    assert filed.headers["location"] == f"/rectification-requests/{request['id']}"
    assert request["attachments"][0]["sha256"] == hashlib.sha256(content).hexdigest()
    assert client.get(request["attachments"][0]["url"], headers=o.officer).content == content
    assert _file(client, o, decision).status_code == 409  # one undecided request at a time
    assert _file(client, o, decision, bidder=0).status_code == 201  # another bidder may file its own
    queue = client.get("/rectification-requests?state=filed", headers=o.officer).json()
    assert len(queue) == 2 and queue[0]["deadline_at"] == request["deadline_at"]
    assert [r["id"] for r in client.get("/rectification-requests", headers=o.bidders[3].headers).json()] == [
        request["id"]
    ]
    assert (
        client.get(f"/rectification-requests/{request['id']}", headers=o.bidders[1].headers).status_code
        == 404
    )
    assert (
        client.get(
            f"/rectification-requests/{request['id']}", headers=bearer(o.world.member_officer)
        ).status_code
        == 404
    )
    _after_standstill(session)
    blocked = client.post(f"/competitions/{o.competition_id}/contracts", headers=o.officer)
    assert (blocked.status_code, blocked.json()["title"]) == (409, "Contracts blocked")
    assert request["id"] in blocked.json()["rectification_requests"]
    for r in client.get("/rectification-requests?state=filed", headers=o.officer).json():
        decided = client.post(
            f"/rectification-requests/{r['id']}/decision",
            json={
                "outcome": "dismissed",
                "reasons": "Laatupisteet on annettu ilmoitettujen perusteiden mukaan.",
            },
            headers=o.officer,
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["state"] == "dismissed"
        assert [d["kind"] for d in decided.json()["documents"]] == ["rectification", "rectification"]
    assert count(session, "decision_delivery") == 4 + 2 * 4  # the award's and two rectification decisions'
    twice = client.post(
        f"/rectification-requests/{request['id']}/decision",
        json={"outcome": "upheld", "reasons": "Toisen kerran ei voi päättää."},
        headers=o.officer,
    )
    assert (twice.status_code, twice.json()["current_state"]) == (409, "dismissed")
    made = client.post(f"/competitions/{o.competition_id}/contracts", headers=o.officer)
    assert made.status_code == 200, made.text


def test_a_late_request_is_refused_and_stores_nothing(client: TestClient[Litestar], session: Session) -> None:
    o, decision = _awarded(client, session)
    bad = _file(client, o, decision, attachments=[{"filename": "x", "content_base64": "***"}])
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "attachments[0].content_base64")
    session.execute(
        text("UPDATE decision_delivery SET made_available_at = made_available_at - interval '20 days'")
    )
    late = _file(client, o, decision)
    assert (late.status_code, late.json()["title"]) == (409, "Rectification period over")
    assert (count(session, "rectification_request"), count(session, "rectification_attachment")) == (0, 0)


def test_upheld_request_withdraws_the_award_and_a_new_decision_follows(
    client: TestClient[Litestar], session: Session
) -> None:
    o, decision = _awarded(client, session)
    request = _file(client, o, decision).json()
    upheld = client.post(
        f"/rectification-requests/{request['id']}/decision",
        json={"outcome": "upheld", "reasons": "Laatupisteytyksessä oli virhe; vertailu tehdään uudelleen."},
        headers=o.officer,
    )
    assert upheld.status_code == 200, upheld.text
    competition = client.get(f"/competitions/{o.competition_id}", headers=o.officer).json()
    assert competition["state"] == "evaluated"
    old = client.get(f"/award-decisions/{decision['id']}", headers=o.officer).json()
    assert (old["state"], old["status"]) == ("withdrawn", "withdrawn")
    assert old["withdrawal_reason"].startswith(f"Rectification request {request['id']} upheld: ")
    # The withdrawn decision stays readable to its bidders, marked withdrawn.
    assert (
        client.get(f"/award-decisions/{decision['id']}", headers=o.bidders[3].headers).json()["state"]
        == "withdrawn"
    )
    assert client.get(f"/competitions/{o.competition_id}/award", headers=o.officer).status_code == 404
    run = evaluate(client, o)
    again = client.post(
        f"/competitions/{o.competition_id}/award", json={"evaluation_run_id": run["id"]}, headers=o.officer
    )
    assert again.status_code == 200, again.text
    listed = client.get(f"/competitions/{o.competition_id}/award-decisions", headers=o.officer).json()
    assert [(d["seq"], d["state"]) for d in listed] == [(2, "delivered"), (1, "withdrawn")]
    assert listed[0]["number"].endswith("/2")


def test_withdrawal_before_contracts_and_refused_after(
    client: TestClient[Litestar], session: Session
) -> None:
    o, _ = _awarded(client, session)
    reason = {"reason": "Hankintayksikön oma korjaus: erän LAHTI tarve oli ilmoitettu väärin."}
    supplier = client.post(
        f"/competitions/{o.competition_id}/award/withdraw", json=reason, headers=o.bidders[0].headers
    )
    assert supplier.status_code in (403, 404)
    withdrawn = client.post(
        f"/competitions/{o.competition_id}/award/withdraw", json=reason, headers=o.officer
    )
    assert (withdrawn.status_code, withdrawn.json()["state"]) == (200, "withdrawn")
    nothing = client.post(f"/competitions/{o.competition_id}/award/withdraw", json=reason, headers=o.officer)
    assert nothing.status_code == 409
    run = evaluate(client, o)
    assert (
        client.post(
            f"/competitions/{o.competition_id}/award",
            json={"evaluation_run_id": run["id"]},
            headers=o.officer,
        ).status_code
        == 200
    )
    _after_standstill(session)
    assert client.post(f"/competitions/{o.competition_id}/contracts", headers=o.officer).status_code == 200
    late = client.post(f"/competitions/{o.competition_id}/award/withdraw", json=reason, headers=o.officer)
    assert (late.status_code, late.json()["title"]) == (409, "Contracts already concluded")
    assert "terminate" in late.json()["detail"]


def test_a_market_court_appeal_blocks_contracts_until_lifted(
    client: TestClient[Litestar], session: Session
) -> None:
    o, decision = _awarded(client, session)
    recorded = client.post(
        f"/award-decisions/{decision['id']}/appeals",
        json={"filed_on": "2026-01-05", "case_number": "MAO:123/2026"},
        headers=o.officer,
    )
    assert recorded.status_code == 201, recorded.text
    appeal = recorded.json()
    assert client.get(recorded.headers["location"], headers=o.officer).json() == appeal
    assert (
        client.post(
            f"/award-decisions/{decision['id']}/appeals",
            json={"filed_on": "2026-01-05", "case_number": "MAO:1/2026"},
            headers=bearer(o.world.member_officer),
        ).status_code
        == 404
    )
    _after_standstill(session)
    blocked = client.post(f"/competitions/{o.competition_id}/contracts", headers=o.officer)
    assert (blocked.status_code, blocked.json()["appeals"]) == (409, [appeal["id"]])
    assert "MAO:123/2026" in blocked.json()["detail"]
    status = client.get(f"/award-decisions/{decision['id']}", headers=o.officer).json()["status"]
    assert status == "blocked"
    lifted = client.post(
        f"/appeals/{appeal['id']}/resolution",
        json={"outcome": "lifted", "resolution": "Markkinaoikeus kumosi täytäntöönpanokiellon 12.1.2026."},
        headers=o.officer,
    )
    assert (lifted.status_code, lifted.json()["state"]) == (200, "lifted")
    assert client.post(f"/competitions/{o.competition_id}/contracts", headers=o.officer).status_code == 200
