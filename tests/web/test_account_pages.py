"""A principal's own tokens and a supplier's webhook addresses on the pages: secrets shown once, the same
services (and audit) as /me/tokens and /suppliers/me/webhooks."""

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.settings import Settings
from tests.factories.core import bearer
from tests.factories.registry import make_supplier
from tests.web.helpers import sign_in

SECRET = re.compile(r'<code class="sha" id="new-(?:token|secret)">([^<]+)</code>')


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Webhook addresses on this machine are allowed here (the service refuses them in production)."""
    return settings.model_copy(update={"webhook_allow_private": True})


def test_a_supplier_makes_lists_and_revokes_its_own_tokens(
    client: TestClient[Litestar], session: Session
) -> None:
    _, token = make_supplier(session, business_id="0737546-2", name="Valmennus Oy")
    csrf = sign_in(client, token)
    refused = client.post("/ui/tokens", data={"_csrf": csrf, "label": ""})
    assert refused.status_code == 422 and "Nimeä tunniste" in refused.text
    made = client.post("/ui/tokens", data={"_csrf": csrf, "label": "palkkajärjestelmä"})
    assert made.status_code == 200
    secret = SECRET.search(made.text)
    assert secret is not None
    # The new token works at the API, shares the holder key of the session's token, and is never shown again.
    me = client.get("/me/tokens", headers=bearer(secret.group(1)))
    assert me.status_code == 200 and {t["label"] for t in me.json()} == {"", "palkkajärjestelmä"}
    listing = client.get("/ui/tokens")
    assert "palkkajärjestelmä" in listing.text and secret.group(1) not in listing.text
    new_id = next(t["id"] for t in me.json() if t["label"] == "palkkajärjestelmä")
    asked = client.post(f"/ui/tokens/{new_id}/revoke", data={"_csrf": csrf})
    assert asked.status_code == 200 and "Perutaanko tunniste?" in asked.text  # confirmation first
    assert client.get("/me/tokens", headers=bearer(secret.group(1))).status_code == 200
    done = client.post(f"/ui/tokens/{new_id}/revoke", data={"_csrf": csrf, "confirmed": "yes"})
    assert done.status_code == 200 and "Tunniste on peruttu" in done.text
    assert client.get("/me/tokens", headers=bearer(secret.group(1))).status_code == 401
    actions = (
        session.execute(text("SELECT action FROM audit_record WHERE action LIKE 'token.%' ORDER BY id"))
        .scalars()
        .all()
    )
    assert actions == ["token.created", "token.revoked"]


def test_revoking_the_sessions_own_token_signs_the_browser_out(
    client: TestClient[Litestar], session: Session
) -> None:
    _, token = make_supplier(session, business_id="0737546-2")
    csrf = sign_in(client, token)
    own = client.get("/me/tokens", headers=bearer(token)).json()[0]["id"]
    asked = client.post(f"/ui/tokens/{own}/revoke", data={"_csrf": csrf})
    assert "myös tämä istunto päättyy" in asked.text
    out = client.post(
        f"/ui/tokens/{own}/revoke", data={"_csrf": csrf, "confirmed": "yes"}, follow_redirects=False
    )
    assert (out.status_code, out.headers["location"]) == (303, "/ui/sign-in")
    assert client.get("/ui/supplier", follow_redirects=False).headers["location"] == "/ui/sign-in"


def test_a_supplier_registers_tests_rotates_and_deletes_a_webhook_address(
    client: TestClient[Litestar], session: Session
) -> None:
    _, token = make_supplier(session, business_id="0737546-2")
    csrf = sign_in(client, token)
    page = client.get("/ui/supplier/webhooks")
    assert page.status_code == 200 and "Kilpailutus tulokseton" in page.text  # kinds by their Finnish names
    # Every error at once, in the user's terms: no address, no event kind.
    refused = client.post("/ui/supplier/webhooks", data={"_csrf": csrf, "url": "ftp://x"})
    assert refused.status_code == 422
    assert (
        "Anna järjestelmäsi osoite" in refused.text and "Valitse vähintään yksi tapahtumalaji" in refused.text
    )
    form = {"_csrf": csrf, "url": "http://127.0.0.1:9/hooks", "description": "tuotanto"}
    form |= {"type-competition.published": "yes", "type-competition.unsuccessful": "yes"}
    made = client.post("/ui/supplier/webhooks", data=form)
    assert made.status_code == 200, made.text
    secret = SECRET.search(made.text)
    assert secret is not None and secret.group(1).startswith("whsec_")
    listed = client.get("/suppliers/me/webhooks", headers=bearer(token)).json()
    assert [(e["url"], e["event_types"]) for e in listed] == [
        ("http://127.0.0.1:9/hooks", ["competition.published", "competition.unsuccessful"])
    ]
    endpoint = listed[0]["id"]
    assert secret.group(1) not in client.get(f"/ui/supplier/webhooks/{endpoint}").text
    tested = client.post(f"/ui/supplier/webhooks/{endpoint}/test", data={"_csrf": csrf})
    assert tested.status_code == 200 and "testitapahtuma on jonossa" in tested.text
    queued = (
        session.execute(
            text("SELECT kind FROM outbox_event WHERE subject_type = 'webhook_endpoint' AND subject_id = :e"),
            {"e": endpoint},
        )
        .scalars()
        .all()
    )
    assert queued == ["webhook.test"]  # the dispatcher sends it like any other event
    rotated = client.post(
        f"/ui/supplier/webhooks/{endpoint}/rotate", data={"_csrf": csrf, "confirmed": "yes"}
    )
    again = SECRET.search(rotated.text)
    assert again is not None and again.group(1) != secret.group(1)
    deleted = client.post(
        f"/ui/supplier/webhooks/{endpoint}/delete", data={"_csrf": csrf, "confirmed": "yes"}
    )
    assert deleted.status_code == 200 and "Osoite on poistettu" in deleted.text
    assert client.get("/suppliers/me/webhooks", headers=bearer(token)).json() == []
    chosen = client.post("/ui/supplier/notifications", data={"_csrf": csrf, "email": "daily"})
    assert chosen.status_code == 200 and "Sähköpostivalinta on tallennettu." in chosen.text
    assert client.get("/suppliers/me/notifications", headers=bearer(token)).json()["email"] == "daily"
    assert (
        client.post("/ui/supplier/notifications", data={"_csrf": csrf, "email": "hourly"}).status_code == 422
    )
    actions = (
        session.execute(text("SELECT action FROM audit_record WHERE action LIKE 'webhook.%' ORDER BY id"))
        .scalars()
        .all()
    )
    assert actions == ["webhook.registered", "webhook.rotated", "webhook.deleted"]
