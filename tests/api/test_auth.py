"""Bearer tokens: missing or bad is 401, wrong role 403, another tenant's object 404."""

import uuid

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.auth import hash_token
from tests.factories.core import bearer, make_authority, make_token


def test_no_token_is_401(client: TestClient[Litestar]) -> None:
    response = client.get("/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "Bearer" in response.json()["detail"]


def test_bad_token_is_401(client: TestClient[Litestar]) -> None:
    assert client.get("/me", headers=bearer("dpr_nope")).status_code == 401
    assert client.get("/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_token_identifies_the_principal(client: TestClient[Litestar], session: Session) -> None:
    authority = make_authority(session)
    token = make_token(session, role="officer", name="Olli Officer", authority_id=authority.id)
    body = client.get("/me", headers=bearer(token)).json()
    assert body["role"] == "officer"
    assert body["name"] == "Olli Officer"
    assert body["authority_id"] == str(authority.id)


def test_wrong_role_is_403(client: TestClient[Litestar], session: Session) -> None:
    supplier = make_token(session, role="supplier", business_id="0737546-2")
    response = client.post("/principals", json={"role": "admin", "name": "x"}, headers=bearer(supplier))
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]


def test_unknown_object_is_404(client: TestClient[Litestar], session: Session) -> None:
    admin = make_token(session, role="admin")
    response = client.post(f"/principals/{uuid.uuid4()}/tokens", headers=bearer(admin))
    assert response.status_code == 404


def test_tokens_are_stored_only_as_hashes(client: TestClient[Litestar], session: Session) -> None:
    admin = make_token(session, role="admin")
    authority = make_authority(session)
    response = client.post(
        "/principals",
        json={"role": "finance", "name": "Fiona Finance", "authority_id": str(authority.id)},
        headers=bearer(admin),
    )
    assert response.status_code == 201
    token = response.json()["token"]
    assert token.startswith("dpr_")
    stored = session.execute(text("SELECT token_hash FROM api_token")).scalars().all()
    assert hash_token(token) in stored
    assert token not in stored
    assert client.get("/me", headers=bearer(token)).json()["role"] == "finance"


def test_officer_without_authority_is_refused_and_nothing_written(
    client: TestClient[Litestar], session: Session
) -> None:
    admin = make_token(session, role="admin")
    before = session.execute(text("SELECT count(*) FROM principal")).scalar_one()
    response = client.post("/principals", json={"role": "officer", "name": "x"}, headers=bearer(admin))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "authority_id"
    response = client.post(
        "/principals",
        json={"role": "officer", "name": "x", "authority_id": str(uuid.uuid4())},
        headers=bearer(admin),
    )
    assert response.status_code == 422
    assert session.execute(text("SELECT count(*) FROM principal")).scalar_one() == before
