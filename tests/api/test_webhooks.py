"""Webhook endpoints over HTTP: register (secret once), list, rotate, test, log, delete; the e-mail choice."""

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from outcomes.notifications.fanout import fan_out
from procurement.core.settings import Settings
from tests.factories.core import bearer
from tests.factories.registry import business_id, make_supplier

URL = "https://hooks.example.com/dpr"


def _supplier(session: Session, n: int) -> dict[str, str]:
    _, token = make_supplier(session, business_id=business_id(n))
    return bearer(token)


def test_register_list_rotate_and_delete(
    client: TestClient[Litestar], session: Session, monkeypatch: object
) -> None:
    import registry.webhooks.endpoints as endpoints

    monkeypatch.setattr(endpoints, "refused_address", lambda host, allow_private: None)  # type: ignore[attr-defined]
    me, other = _supplier(session, 1), _supplier(session, 2)
    made = client.post(
        "/suppliers/me/webhooks", json={"url": URL, "event_types": ["competition.published"]}, headers=me
    )
    assert made.status_code == 201, made.text
    secret, endpoint = made.json()["secret"], made.json()["endpoint"]
    assert made.headers["location"] == f"/suppliers/me/webhooks/{endpoint['id']}"
    read = client.get(made.headers["location"], headers=me)
    assert read.json() == endpoint
    assert client.get(made.headers["location"], headers=other).status_code == 404
    assert secret.startswith("whsec_") and len(secret) > 40
    listed = client.get("/suppliers/me/webhooks", headers=me).json()
    assert [e["id"] for e in listed] == [endpoint["id"]]
    assert secret not in str(listed)  # shown once
    assert client.get("/suppliers/me/webhooks", headers=other).json() == []
    rotated = client.post(f"/suppliers/me/webhooks/{endpoint['id']}/rotate", headers=me).json()
    assert rotated["secret"] != secret and rotated["endpoint"]["previous_secret_valid_until"] is not None
    assert client.post(f"/suppliers/me/webhooks/{endpoint['id']}/rotate", headers=other).status_code == 404
    queued = client.post(f"/suppliers/me/webhooks/{endpoint['id']}/test", headers=me)
    assert queued.status_code == 200
    fan_out(
        session, now=__import__("procurement.core.clock", fromlist=["utc_now"]).utc_now(), settings=Settings()
    )
    log = client.get(f"/suppliers/me/webhooks/{endpoint['id']}/deliveries", headers=me).json()
    assert [(d["type"], d["state"], d["event_id"]) for d in log] == [
        ("webhook.test", "pending", queued.json()["event_id"])
    ]
    assert client.get(f"/suppliers/me/webhooks/{endpoint['id']}/deliveries", headers=other).status_code == 404
    assert client.delete(f"/suppliers/me/webhooks/{endpoint['id']}", headers=other).status_code == 404
    deleted = client.delete(f"/suppliers/me/webhooks/{endpoint['id']}", headers=me)
    assert (deleted.status_code, deleted.json()["id"]) == (200, endpoint["id"])
    assert client.get("/suppliers/me/webhooks", headers=me).json() == []
    assert client.get(made.headers["location"], headers=me).status_code == 404


def test_bad_endpoints_are_refused_and_change_nothing(client: TestClient[Litestar], session: Session) -> None:
    me = _supplier(session, 3)
    cases = [
        ({"url": "http://127.0.0.1:8000/x", "event_types": ["competition.published"]}, "internal address"),
        ({"url": "https://10.0.0.5/x", "event_types": ["competition.published"]}, "internal address"),
        ({"url": URL, "event_types": ["competition.sealed_bids"]}, "Unknown event types"),
        ({"url": "https://user:pw@example.com/x", "event_types": ["competition.published"]}, "credentials"),
        ({"url": "ftp://example.com/x", "event_types": ["competition.published"]}, "matching regex"),
    ]
    for body, message in cases:
        response = client.post("/suppliers/me/webhooks", json=body, headers=me)
        assert response.status_code == 422, response.text
        assert message in response.text
    assert client.get("/suppliers/me/webhooks", headers=me).json() == []
    assert client.post("/suppliers/me/webhooks", json=cases[0][0]).status_code == 401


def test_email_choice(client: TestClient[Litestar], session: Session) -> None:
    me = _supplier(session, 4)
    assert client.get("/suppliers/me/notifications", headers=me).json() == {
        "email": "immediate",
        "contact_email": "info@example.fi",
    }
    assert (
        client.put("/suppliers/me/notifications", json={"email": "daily"}, headers=me).json()["email"]
        == "daily"
    )
    assert client.put("/suppliers/me/notifications", json={"email": "hourly"}, headers=me).status_code == 422
