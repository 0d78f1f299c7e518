"""`dpr keys rotate-sealing` re-wraps every competition's key while the service runs; the old master
key can then be discarded and the bids still open with the new one alone."""

import base64
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from procurement.app.factory import create_app
from procurement.core.db import make_engine
from procurement.core.settings import Settings
from registry.webhooks import endpoints
from registry.webhooks import secrets as webhook_secrets
from registry.webhooks.models import WebhookEndpoint
from tests.conftest import run_cli
from tests.factories.core import bearer
from tests.factories.minicompetition import bid_body, competition_body, make_bidders, move_deadline
from tests.factories.registry import make_ring_world


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _settings(url: str, tmp_path: Path, sealing: str, previous: str | None = None) -> Settings:
    return Settings(
        env="test",
        database_url=url,
        data_dir=tmp_path / "data",
        pseudonym_key=_key(),
        sealing_key=sealing,
        sealing_key_previous=previous,
        session_key=_key(),
        db_pool_size=2,
    )


def test_rotation_while_serving_then_the_old_key_is_discarded(
    scratch_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(endpoints, "refused_address", lambda host, allow_private: None)
    old, new = _key(), _key()
    engine = make_engine(scratch_database_url, pool_size=2)
    with Session(engine, expire_on_commit=False) as session:
        world = make_ring_world(session)
        bidders = make_bidders(session, world, count=2)
        session.commit()
    ids: list[str] = []
    with TestClient(create_app(_settings(scratch_database_url, tmp_path, old))) as client:
        for _ in range(2):  # two competitions, each with two bids
            cid = client.post(
                "/competitions", json=competition_body(world), headers=bearer(world.lead_officer)
            ).json()["id"]
            assert (
                client.post(
                    f"/competitions/{cid}/publish",
                    json={"confirm_few_invitees": True},
                    headers=bearer(world.lead_officer),
                ).status_code
                == 200
            )
            for n, bidder in enumerate(bidders):
                posted = client.post(
                    f"/competitions/{cid}/bids", json=bid_body(price=250_000 + n), headers=bidder.headers
                )
                assert posted.status_code == 201
            ids.append(cid)
        # A supplier's webhook secret is sealed under the old key too.
        made = client.post(
            "/suppliers/me/webhooks",
            json={"url": "https://hooks.example.fi/dpr", "event_types": ["competition.published"]},
            headers=bidders[0].headers,
        )
        assert made.status_code == 201, made.text
        hook_secret = made.json()["secret"]

    # The service is restarted with both keys and keeps serving while the command runs.
    both = _settings(scratch_database_url, tmp_path, new, previous=old)
    with TestClient(create_app(both)) as serving:
        assert serving.get("/health").status_code == 200
        env = {
            "DPR_DATABASE_URL": scratch_database_url,
            "DPR_DATA_DIR": str(tmp_path / "cli"),
            "DPR_SEALING_KEY": new,
            "DPR_SEALING_KEY_PREVIOUS": old,
            "DPR_PSEUDONYM_KEY": _key(),
            "DPR_SESSION_KEY": _key(),
        }
        rotated = run_cli("keys", "rotate-sealing", env=env)
        assert rotated.returncode == 0, rotated.stderr
        assert rotated.stdout.strip().splitlines()[-1] == "rewrapped=2 already=0 webhooks=1"
        again = run_cli("keys", "rotate-sealing", env=env)
        assert again.stdout.strip().splitlines()[-1] == "rewrapped=0 already=2 webhooks=0"
        assert serving.get(f"/competitions/{ids[0]}").status_code == 200

    with Session(engine) as session:
        for cid in ids:
            move_deadline(session, cid, from_now=timedelta(seconds=-1))
        session.commit()
        audited = session.execute(
            text("SELECT count(*) FROM audit_record WHERE action = 'competition.sealing_key_rewrapped'")
        ).scalar_one()
        stored = session.exec(select(WebhookEndpoint)).one()
    assert audited == 2
    # The webhook secret is now sealed under the new key alone, and still the one shown at registration.
    assert (
        webhook_secrets.unseal(_settings(scratch_database_url, tmp_path, new), stored.secret) == hook_secret
    )
    with pytest.raises(InvalidTag):
        webhook_secrets.unseal(_settings(scratch_database_url, tmp_path, old), stored.secret)
    # The old key alone opens nothing any more; the new key alone opens every bid.
    with TestClient(create_app(_settings(scratch_database_url, tmp_path, old))) as with_old:
        refused = with_old.post(f"/competitions/{ids[0]}/open", headers=bearer(world.lead_officer))
        assert (refused.status_code, "does not unwrap" in refused.json()["detail"]) == (409, True)
    with TestClient(create_app(_settings(scratch_database_url, tmp_path, new))) as with_new:
        for cid in ids:
            opened = with_new.post(f"/competitions/{cid}/open", headers=bearer(world.lead_officer))
            assert opened.status_code == 200, opened.text
            assert [b["state"] for b in opened.json()["bids"]] == ["eligible", "eligible"]
    engine.dispose()
