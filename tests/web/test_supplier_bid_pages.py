"""The supplier's bid form seals as the API does (a read-back copy keyed to the supplier's tokens), a bid
after an amendment of the sub-criteria is submitted again, and results come with reasons: an unsuccessful
competition's, and the price to win only after the award."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.auth import issue_token
from tests.api.test_evaluation import evaluate, open_competition, score_all
from tests.factories.core import bearer
from tests.factories.minicompetition import publish_competition
from tests.web.helpers import sign_in

FORM = {
    "price-LAHTI": "2 450,50",
    "capacity-LAHTI": "20",
    "flow-LAHTI": "82,5",
    "answer-LAHTI-METHOD": "Yksilövalmennus ja ryhmät.",
    "answer-LAHTI-EMPLOYERS": "Sata kumppaniyritystä.",
}


def test_the_bid_form_seals_a_copy_only_the_suppliers_tokens_open(
    client: TestClient[Litestar], session: Session
) -> None:
    published = publish_competition(client, session, bidders=1)
    cid, bidder = published.competition_id, published.bidders[0]
    csrf = sign_in(client, bidder.token)
    # Every missing answer at once, beside its field.
    incomplete = client.post(
        f"/ui/supplier/invitations/{cid}/bid", data={"_csrf": csrf, **FORM, "answer-LAHTI-METHOD": ""}
    )
    assert incomplete.status_code == 422 and 'href="#f-answer-LAHTI-METHOD"' in incomplete.text
    sent = client.post(f"/ui/supplier/invitations/{cid}/bid", data={"_csrf": csrf, **FORM})
    assert sent.status_code == 200 and 'id="receipts"' in sent.text
    bid_id = client.get(f"/inbox/{cid}", headers=bidder.headers).json()["my_bid"]["bid_id"]
    # The supplier's own token reads the copy the page sealed: the session used the token's holder key.
    content = client.get(f"/bids/{bid_id}/content", headers=bearer(bidder.token))
    assert content.status_code == 200, content.text
    line = content.json()["lines"][0]
    assert (line["unit_price_cents"], line["capacity"], line["committed_flow_through_bp"]) == (
        245_050,
        20,
        8250,
    )
    assert line["quality_answers"] == {
        "METHOD": "Yksilövalmennus ja ryhmät.",
        "EMPLOYERS": "Sata kumppaniyritystä.",
    }
    row = session.execute(
        text("SELECT supplier_copy FROM bid_version WHERE bid_id = :b"), {"b": bid_id}
    ).one()
    assert row.supplier_copy is not None and b"Yksil" not in bytes(row.supplier_copy)
    # The form shows the sealed values back to this session ...
    page = client.get(f"/ui/supplier/invitations/{cid}")
    assert 'value="2450,50"' in page.text and "Sata kumppaniyritystä." in page.text
    # ... but not to a session of a token the operator made (a fresh key): the receipt stands.
    principal = session.execute(
        text("SELECT id FROM principal WHERE business_id = :b"), {"b": bidder.supplier.business_id}
    ).scalar_one()
    client.cookies.clear()
    sign_in(client, issue_token(session, principal_id=principal, now=published.world.dps.created_at))
    other = client.get(f"/ui/supplier/invitations/{cid}")
    assert 'id="unreadable"' in other.text and "Sata kumppaniyritystä." not in other.text
    assert 'id="receipts"' in other.text


def test_after_an_amendment_of_the_sub_criteria_the_bid_is_sent_again_not_confirmed(
    client: TestClient[Litestar], session: Session
) -> None:
    published = publish_competition(client, session, bidders=1)
    cid, bidder = published.competition_id, published.bidders[0]
    csrf = sign_in(client, bidder.token)
    client.post(f"/ui/supplier/invitations/{cid}/bid", data={"_csrf": csrf, **FORM})
    criteria = [
        {"code": "METHOD", "name": "Valmennusmenetelmä", "weight_bp": 5000},
        {"code": "SAFETY", "name": "Turvallisuus", "weight_bp": 5000},
    ]
    amended = client.post(
        f"/competitions/{cid}/amendments",
        json={"reason": "Turvallisuus lisätty.", "changes": {"quality_criteria": criteria}},
        headers=published.officer,
    )
    assert amended.status_code in (200, 201), amended.text
    page = client.get(f"/ui/supplier/invitations/{cid}")
    assert 'id="resubmit"' in page.text and "/confirm" not in page.text
    assert 'name="answer-LAHTI-SAFETY"' in page.text
    again = {k: v for k, v in FORM.items() if k != "answer-LAHTI-EMPLOYERS"} | {
        "answer-LAHTI-SAFETY": "Kyllä."
    }
    resent = client.post(f"/ui/supplier/invitations/{cid}/bid", data={"_csrf": csrf, **again})
    assert resent.status_code == 200 and 'id="resubmit"' not in resent.text
    mine = client.get(f"/inbox/{cid}", headers=bidder.headers).json()["my_bid"]
    assert (mine["current_version"], mine["needs_confirmation"]) == (2, False)


def test_an_officer_ends_an_evaluated_competition_without_a_winner_and_the_bidders_read_why(
    client: TestClient[Litestar], session: Session
) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    evaluate(client, o)
    csrf = sign_in(client, o.world.lead_officer)
    url = f"/ui/competitions/{o.competition_id}/unsuccessful"
    reason = "Tarjotut hinnat ylittävät käytettävissä olevan määrärahan."
    asked = client.post(url, data={"_csrf": csrf, "reason": reason})
    assert asked.status_code == 200 and "Päätetäänkö kilpailutus ilman voittajaa?" in asked.text
    done = client.post(url, data={"_csrf": csrf, "reason": reason, "confirmed": "yes"})
    assert done.status_code == 200 and f'id="unsuccessful-reason">Ei voittajaa: {reason}</dd>' in done.text
    client.cookies.clear()
    sign_in(client, o.bidders[0].token)
    assert reason in client.get(f"/ui/supplier/invitations/{o.competition_id}").text
    result = client.get(f"/ui/supplier/results/{o.competition_id}")
    assert result.status_code == 200 and reason in result.text
    assert "Kilpailutus päättyi ilman voittajaa:" in result.text


def test_a_competition_with_no_bid_shows_why_in_finnish(
    client: TestClient[Litestar], session: Session
) -> None:
    published = publish_competition(client, session, bidders=1)
    session.execute(
        text(
            "UPDATE competition SET tender_deadline = clock_timestamp(), qa_deadline = clock_timestamp() - :d"
            " WHERE id = :c"
        ),
        {"c": published.competition_id, "d": timedelta(days=1)},
    )
    csrf = sign_in(client, published.world.lead_officer)
    url = f"/ui/competitions/{published.competition_id}/open"
    page = client.post(url, data={"_csrf": csrf, "confirmed": "yes"})
    # Nothing to score: the officer lands on the competition, which says why it ended.
    assert page.status_code == 200 and 'id="state">tulokseton' in page.text, page.text[-2000:]
    assert "Kilpailutus päättyi ilman voittajaa" in page.text  # the success notice
    assert "yhtään tarjousta ei saatu määräaikaan mennessä" in page.text


def test_the_price_to_win_is_offered_only_after_the_award(
    client: TestClient[Litestar], session: Session
) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    run = evaluate(client, o)
    loser = o.bidders[3]
    csrf = sign_in(client, loser.token)
    before = client.get(f"/ui/supplier/results/{o.competition_id}")
    assert before.status_code == 200 and '<span class="hint">hankintapäätöksen jälkeen</span>' in before.text
    assert "/price-to-win" not in before.text
    refused = client.post(
        f"/ui/supplier/results/{o.competition_id}/price-to-win",
        data={"_csrf": csrf, "run_id": run["id"], "bid_id": o.bid_ids[3], "lot_id": o.lot_ids["LAHTI"]},
    )
    assert refused.status_code == 409 and "Voittava hinta näytetään, kun" in refused.text
    awarded = client.post(
        f"/competitions/{o.competition_id}/award", json={"evaluation_run_id": run["id"]}, headers=o.officer
    )
    assert awarded.status_code in (200, 201), awarded.text
    after = client.get(f"/ui/supplier/results/{o.competition_id}")
    assert '<span class="hint">hankintapäätöksen jälkeen</span>' not in after.text
    # The award computed the losing line's price to win: shown in euros on its row.
    row = after.text.split(f'id="lot-{o.lot_ids["PH-YOUTH"]}"')[1].split("</tr>")[0]
    assert "428,25" in row  # 2 428,25 €, as the API's own test computes it
