"""Browser sessions a person can end: sign-out, token revocation, idle and absolute timeouts, the list of
one's sessions and "sign out everywhere"; a cookie no dump or other key can forge."""

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.app.web import session as web_session
from procurement.core.auth import hash_token
from procurement.core.clock import utc_now
from procurement.core.settings import Settings, key_bytes
from tests.factories.core import bearer
from tests.factories.registry import make_ring_world
from tests.web.helpers import csrf_of, sign_in


def _cookie(client: TestClient[Litestar]) -> str:
    return [c.value for c in client.cookies.jar if c.name == "dpr_session" and c.value][-1] or ""


def _signed_in(client: TestClient[Litestar], cookie: str) -> bool:
    client.cookies.clear()
    client.cookies.set("dpr_session", cookie, path="/ui")
    page = client.get("/ui/officer", follow_redirects=False)
    return page.status_code == 200


def test_a_signed_out_cookie_no_longer_works(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    csrf = sign_in(client, world.lead_officer)
    kept = _cookie(client)
    assert _signed_in(client, kept)
    out = client.post("/ui/sign-out", data={"_csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert not _signed_in(client, kept)  # before: the old cookie kept working until it expired
    ended = session.execute(text("SELECT end_reason, holder_key_wrap FROM web_session")).one()
    assert ended == ("signed out", None)


def test_revoking_the_token_ends_its_sessions(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    sign_in(client, world.lead_officer)
    kept = _cookie(client)
    token_id = session.execute(
        text("SELECT id FROM api_token WHERE token_hash = :h"), {"h": hash_token(world.lead_officer)}
    ).scalar_one()
    revoked = client.post(f"/me/tokens/{token_id}/revoke", headers=bearer(world.lead_officer))
    assert revoked.status_code == 200
    assert not _signed_in(client, kept)
    assert session.execute(text("SELECT end_reason FROM web_session")).scalar_one() == "token revoked"


def test_idle_and_absolute_timeouts(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    world = make_ring_world(session)
    clock = client.app.state.clock_offset
    sign_in(client, world.lead_officer)
    idle = _cookie(client)
    clock.seconds = 29 * 60
    assert _signed_in(client, idle)  # 29 minutes idle: still on, and the use counts
    clock.seconds = 29 * 60 + 31 * 60
    assert not _signed_in(client, idle)  # 31 minutes after the last use
    clock.seconds = 0
    sign_in(client, world.lead_officer)
    busy = _cookie(client)
    for minutes in range(20, 8 * 60, 20):  # used every 20 minutes: never idle
        clock.seconds = minutes * 60
        assert _signed_in(client, busy), minutes
    clock.seconds = 8 * 3600 + 60
    assert not _signed_in(client, busy)  # 8 hours after sign-in, however busy
    # Dead by their times alone; the list of live sessions shows neither.
    principal_id = session.execute(text("SELECT principal_id FROM web_session LIMIT 1")).scalar_one()
    live = web_session.live_sessions(
        session,
        principal_id=principal_id,
        now=utc_now() + timedelta(seconds=clock.seconds),
        settings=settings,
    )
    assert live == []
    assert (settings.session_idle_minutes, settings.session_absolute_hours) == (30, 8)


def test_sessions_are_listed_and_signed_out_everywhere(
    client: TestClient[Litestar], app: Litestar, session: Session
) -> None:
    world = make_ring_world(session)
    with TestClient(app, raise_server_exceptions=False) as other:
        sign_in(other, world.lead_officer)
        elsewhere = _cookie(other)
    csrf = sign_in(client, world.lead_officer)
    here = _cookie(client)
    listed = client.get("/ui/sessions")
    assert listed.status_code == 200
    assert listed.text.count('/end"') == 2 and "tämä selain" in listed.text
    everywhere = client.post("/ui/sessions/end-all", data={"_csrf": csrf}, follow_redirects=False)
    assert everywhere.status_code == 303
    assert (_signed_in(client, here), _signed_in(client, elsewhere)) == (False, False)
    assert (
        session.execute(
            text("SELECT count(*) FROM audit_record WHERE action = 'web.sign_out_everywhere'")
        ).scalar_one()
        == 1
    )


def test_no_dump_or_other_key_forges_a_session(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    world = make_ring_world(session)
    sign_in(client, world.lead_officer)
    row = session.execute(text("SELECT id, secret_hash FROM web_session")).one()
    # The old scheme: a key derived from the sealing key and a token hash taken from a dump.
    derived = hmac.new(
        key_bytes(settings.sealing_key, name="sealing_key"), b"dpr web session v1", hashlib.sha256
    )
    payload = {"p": "x", "t": hash_token(world.lead_officer), "n": "n", "e": int(time.time()) + 3600}
    old_style = web_session.sign(derived.digest(), payload)
    # The real session key, with what a dump holds of the session (its id and the secret's hash).
    session_key = key_bytes(settings.session_key, name="session_key")
    from_dump = web_session.sign(session_key, {"s": str(row.id), "k": row.secret_hash})
    client.cookies.clear()
    assert (_signed_in(client, old_style), _signed_in(client, from_dump)) == (False, False)
    assert session_key != derived.digest()
    body = base64.urlsafe_b64decode(_cookie_body(from_dump))
    assert json.loads(body)["s"] == str(row.id)


def _cookie_body(value: str) -> str:
    body = value.rpartition(".")[0]
    return body + "=" * (-len(body) % 4)


def test_a_form_over_the_session_needs_its_csrf(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    sign_in(client, world.lead_officer)
    refused = client.post("/ui/sessions/end-all", data={"_csrf": "0" * 64})
    assert refused.status_code == 403
    page = client.get("/ui/sessions")
    assert csrf_of(page.text)
