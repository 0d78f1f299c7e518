"""No one acts as a supplier but the supplier: admins make no supplier token, suppliers make and revoke
their own, and the operator's restored token reads no copy made before it."""

import uuid

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.auth import hash_token
from procurement.core.clock import utc_now
from registry.suppliers import restore_access
from tests.factories.core import bearer, make_authority, make_token
from tests.factories.minicompetition import bid_body, count, publish_competition


def _principal_of(session: Session, token: str) -> str:
    return str(
        session.execute(
            text("SELECT principal_id FROM api_token WHERE token_hash = :h"), {"h": hash_token(token)}
        ).scalar_one()
    )


def test_an_admin_can_make_no_token_that_acts_as_a_supplier(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=1)
    me = cw.bidders[0]
    receipt = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=me.headers
    ).json()
    admin = bearer(make_token(session, role="admin"))
    before = (count(session, "principal"), count(session, "api_token"))

    as_supplier = client.post(
        "/principals",
        json={"role": "supplier", "name": "Valetoimittaja", "business_id": me.supplier.business_id},
        headers=admin,
    )
    reissued = client.post(f"/principals/{_principal_of(session, me.token)}/tokens", headers=admin)
    listed = client.get(f"/principals/{_principal_of(session, me.token)}/tokens", headers=admin)

    assert (as_supplier.status_code, as_supplier.json()["errors"][0]["field"]) == (422, "role")
    assert (reissued.status_code, listed.status_code) == (403, 403)
    assert "its own" in reissued.json()["detail"]
    assert (count(session, "principal"), count(session, "api_token")) == before
    # The bid stays the supplier's alone.
    assert client.get(f"/bids/{receipt['bid_id']}/content", headers=admin).status_code == 403


def test_a_supplier_makes_lists_and_revokes_its_own_tokens(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=1)
    me = cw.bidders[0]
    receipt = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(price=233_333), headers=me.headers
    ).json()

    made = client.post("/me/tokens", json={"label": "Tarjousjärjestelmä"}, headers=me.headers)
    assert made.status_code == 201, made.text
    further = made.json()["token"]
    listed = client.get("/me/tokens", headers=bearer(further)).json()
    assert sorted((t["label"], t["current"], t["revoked_at"]) for t in listed) == [
        ("", False, None),
        ("Tarjousjärjestelmä", True, None),
    ]
    assert "token" not in listed[0] and "token_hash" not in listed[0]
    # The further token shares the holder key: it reads the copy the first token made.
    read = client.get(f"/bids/{receipt['bid_id']}/content", headers=bearer(further))
    assert (read.status_code, read.json()["lines"][0]["unit_price_cents"]) == (200, 233_333)

    first_id = next(t["id"] for t in listed if not t["current"])
    revoked = client.post(f"/me/tokens/{first_id}/revoke", headers=bearer(further))
    assert (revoked.status_code, revoked.json()["revoked_by"].startswith("supplier:")) == (200, True)
    assert client.get("/me", headers=me.headers).status_code == 401
    assert client.get("/me", headers=bearer(further)).status_code == 200
    wrap = session.execute(
        text("SELECT holder_key_wrap FROM api_token WHERE id = :i"), {"i": first_id}
    ).scalar_one()
    assert wrap is None  # a revoked token's wrap is erased
    # Another principal's token is not the supplier's to revoke.
    other = make_token(session, role="admin")
    other_id = session.execute(
        text("SELECT id FROM api_token WHERE token_hash = :h"), {"h": hash_token(other)}
    ).scalar_one()
    assert client.post(f"/me/tokens/{other_id}/revoke", headers=bearer(further)).status_code == 404
    assert client.get("/me", headers=bearer(other)).status_code == 200


def test_the_operators_restored_token_reads_no_earlier_copy_and_ends_the_old_tokens(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=1)
    me = cw.bidders[0]
    url = f"/competitions/{cw.competition_id}/bids"
    earlier = client.post(url, json=bid_body(price=250_000), headers=me.headers).json()

    restored = restore_access(
        session,
        business_id=me.supplier.business_id,
        reason="Henkilöllisyys tarkistettu puhelimitse ja kaupparekisteristä.",
        operator="operator:test (dpr)",
        now=utc_now(),
    )

    new = bearer(restored.token)
    assert client.get("/me", headers=me.headers).status_code == 401  # the lost token is revoked
    refused = client.get(f"/bids/{earlier['bid_id']}/content", headers=new)
    assert refused.status_code == 409
    assert "does not share" in refused.json()["detail"]
    # It acts for the supplier from now on: a new version it submits it can read back.
    later = client.post(url, json=bid_body(price=244_444), headers=new).json()
    assert later["version"] == 2
    read = client.get(f"/bids/{later['bid_id']}/content", headers=new)
    assert (read.status_code, read.json()["lines"][0]["unit_price_cents"]) == (200, 244_444)
    audited = session.execute(
        text(
            "SELECT actor, after->>'reason' FROM audit_record WHERE action = 'supplier.access_restored'"
            " AND aggregate_id = :s"
        ),
        {"s": str(me.supplier.id)},
    ).one()
    assert audited == ("operator:test (dpr)", "Henkilöllisyys tarkistettu puhelimitse ja kaupparekisteristä.")


def test_an_admin_lists_and_revokes_staff_tokens(client: TestClient[Litestar], session: Session) -> None:
    admin = bearer(make_token(session, role="admin"))
    authority = make_authority(session)
    made = client.post(
        "/principals",
        json={"role": "officer", "name": "Outi Officer", "authority_id": str(authority.id)},
        headers=admin,
    ).json()
    officer_id, token_id = made["principal"]["id"], made["token_id"]
    listed = client.get(f"/principals/{officer_id}/tokens", headers=admin).json()
    assert [(t["id"], t["label"], t["revoked_at"]) for t in listed] == [(token_id, "created by admin", None)]
    revoked = client.post(f"/principals/{officer_id}/tokens/{token_id}/revoke", headers=admin)
    assert revoked.status_code == 200
    assert client.get("/me", headers=bearer(made["token"])).status_code == 401
    wrong = client.post(f"/principals/{officer_id}/tokens/{uuid.uuid4()}/revoke", headers=admin)
    assert wrong.status_code == 404
    officer = bearer(make_token(session, role="officer", authority_id=authority.id))
    assert client.get(f"/principals/{officer_id}/tokens", headers=officer).status_code == 403


def test_every_audit_record_names_the_token_that_acted(
    client: TestClient[Litestar], session: Session
) -> None:
    admin_token = make_token(session, role="admin")
    authority = make_authority(session)
    client.post(
        "/principals",
        json={"role": "finance", "name": "Fiona", "authority_id": str(authority.id)},
        headers=bearer(admin_token),
    )
    token_id = session.execute(
        text("SELECT id FROM api_token WHERE token_hash = :h"), {"h": hash_token(admin_token)}
    ).scalar_one()
    actor = session.execute(
        text("SELECT actor FROM audit_record WHERE action = 'principal.created' ORDER BY id DESC LIMIT 1")
    ).scalar_one()
    assert actor.endswith(f" token:{token_id}")
