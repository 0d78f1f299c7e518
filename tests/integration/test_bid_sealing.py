"""What the database holds of a bid before opening: ciphertext, a receipt digest, no prices."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from tests.factories.minicompetition import bid_body, move_deadline, publish_competition

PRICE = 271_828  # distinctive digits, so a match cannot be a coincidence of random bytes
ANSWER = "Salainen menetelmä: työkokeilu ja mentorointi"


def _sealed_bid(client: TestClient[Litestar], session: Session) -> tuple[str, dict[str, str]]:
    cw = publish_competition(client, session, bidders=1)
    body = bid_body(price=PRICE, lots=("LAHTI", "PH-YOUTH"))
    for line in body["lines"]:
        line["quality_answers"]["METHOD"] = ANSWER
    receipt = client.post(f"/competitions/{cw.competition_id}/bids", json=body, headers=cw.bidders[0].headers)
    assert receipt.status_code == 201
    return cw.competition_id, {"officer": cw.world.lead_officer, "bid_id": receipt.json()["bid_id"]}


def test_stored_ciphertext_holds_no_plaintext(client: TestClient[Litestar], session: Session) -> None:
    _, ids = _sealed_bid(client, session)
    row = session.execute(
        text("SELECT ciphertext, nonce, ephemeral_public_key FROM bid_version WHERE bid_id = :id"),
        {"id": ids["bid_id"]},
    ).one()
    for needle in (str(PRICE).encode(), ANSWER.encode(), b"unit_price_cents", b"LAHTI"):
        assert needle not in bytes(row.ciphertext)
    assert len(row.ciphertext) > 100  # the content is there, encrypted (plus the 16-byte GCM tag)
    # A dump of every table as text reveals neither the price nor the answers before opening.
    dump = session.execute(
        text(
            "SELECT string_agg(t::text, '|') FROM ("
            " SELECT row_to_json(v)::text AS t FROM bid_version v"
            " UNION ALL SELECT row_to_json(b)::text FROM bid b"
            " UNION ALL SELECT row_to_json(a)::text FROM audit_record a"
            " UNION ALL SELECT row_to_json(k)::text FROM competition_key k) x"
        )
    ).scalar_one()
    assert str(PRICE) not in dump
    assert "mentorointi" not in dump
    assert session.execute(text("SELECT count(*) FROM bid_line")).scalar_one() == 0


def test_opening_decrypts_the_same_content(client: TestClient[Litestar], session: Session) -> None:
    competition_id, ids = _sealed_bid(client, session)
    move_deadline(session, competition_id, from_now=timedelta(seconds=-1))  # the clock passes the deadline
    headers = {"Authorization": f"Bearer {ids['officer']}"}
    assert client.post(f"/competitions/{competition_id}/open", headers=headers).status_code == 200
    lines = session.execute(
        text("SELECT unit_price_cents, quality_answers FROM bid_line WHERE bid_id = :id"),
        {"id": ids["bid_id"]},
    ).all()
    assert [(x.unit_price_cents, x.quality_answers["METHOD"]) for x in lines] == [
        (PRICE, ANSWER),
        (PRICE, ANSWER),
    ]


def test_bid_versions_cannot_be_changed_or_removed(client: TestClient[Litestar], session: Session) -> None:
    _sealed_bid(client, session)
    for statement in ("UPDATE bid_version SET sha256 = repeat('0', 64)", "DELETE FROM bid_version"):
        try:
            with session.begin_nested():
                session.execute(text(statement))
            raised = ""
        except Exception as exc:
            raised = str(exc)
        assert "bid_version is append-only" in raised


def test_tampered_ciphertext_refuses_to_open(client: TestClient[Litestar], session: Session) -> None:
    competition_id, ids = _sealed_bid(client, session)
    # Simulates someone with superuser rights altering a stored version (the trigger refuses everyone else).
    session.execute(text("ALTER TABLE bid_version DISABLE TRIGGER bid_version_no_update_delete"))
    session.execute(
        text(
            "UPDATE bid_version SET ciphertext = set_byte(ciphertext, 4, get_byte(ciphertext, 4) # 1) "
            "WHERE bid_id = :id"
        ),
        {"id": ids["bid_id"]},
    )
    session.execute(text("ALTER TABLE bid_version ENABLE TRIGGER bid_version_no_update_delete"))
    move_deadline(session, competition_id, from_now=timedelta(seconds=-1))  # the clock passes the deadline
    response = client.post(
        f"/competitions/{competition_id}/open", headers={"Authorization": f"Bearer {ids['officer']}"}
    )
    assert response.status_code == 409
    assert "does not decrypt" in response.json()["detail"]
    state = session.execute(
        text("SELECT state FROM competition WHERE id = :id"), {"id": competition_id}
    ).scalar_one()
    assert state == "published"
