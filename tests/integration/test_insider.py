"""The insider: a superuser's database dump plus every secret in the data directory, before the deadline,
recovers no bid content. Only the officers' tokens (with the master key) open the bids, and only after it."""

import base64
import contextlib
import json
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from minicompetition.tender import sealing
from procurement.app.backup import _libpq, tools_dir
from procurement.app.factory import create_app
from procurement.core import holder
from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.factories.core import bearer
from tests.factories.minicompetition import bid_body, competition_body, make_bidders, move_deadline
from tests.factories.registry import make_ring_world

PRICE = 271_828
ANSWER = "Salainen menetelmä: mentorointi ja työkokeilu"


def _dump(url: str) -> str:
    """What a superuser takes: pg_dump of the whole database, as SQL text."""
    target, env = _libpq(url)
    done = subprocess.run(
        [str(tools_dir() / "pg_dump"), *target, "--format=plain", "--no-owner"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _copy_rows(dump: str, table: str) -> list[dict[str, Any]]:
    """The rows of one table from the dump's COPY block (bytea as bytes, NULL as None)."""
    lines = dump.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"COPY public.{table} ("))
    columns = [c.strip() for c in lines[start].split("(", 1)[1].split(")", 1)[0].split(",")]
    rows = []
    for line in lines[start + 1 :]:
        if line == "\\.":
            break
        values: list[Any] = []
        for raw in line.split("\t"):
            if raw == "\\N":
                values.append(None)
            elif raw.startswith("\\\\x"):
                values.append(bytes.fromhex(raw[3:]))
            else:
                values.append(raw)
        rows.append(dict(zip(columns, values, strict=True)))
    return rows


def _secrets_of(data_dir: Path) -> list[bytes]:
    """Every secret the data directory holds, raw (base64-decoded where it is base64) and as stored."""
    found: list[bytes] = []
    for path in data_dir.rglob("*"):
        if not path.is_file() or "pg" in path.relative_to(data_dir).parts[:1]:
            continue
        text = path.read_text(errors="ignore")
        try:
            values = list(json.loads(text).values())
        except (ValueError, AttributeError):
            values = [text]
        for value in values:
            found.append(str(value).encode())
            with contextlib.suppress(ValueError):
                found.append(base64.b64decode(str(value), validate=True))
    return found


def _attempts(dump: str, secrets: list[bytes], competition_id: str) -> list[bytes]:
    """Every plaintext the insider gets by trying each secret (and each token hash) on each sealed thing."""
    recovered: list[bytes] = []
    keys = next(r for r in _copy_rows(dump, "competition_key") if r["competition_id"] == competition_id)
    versions = _copy_rows(dump, "bid_version")
    shares = _copy_rows(dump, "competition_key_share")
    tokens = _copy_rows(dump, "api_token")
    candidates = secrets + [t["token_hash"].encode() for t in tokens]
    cid = uuid.UUID(competition_id)
    stored = sealing.CompetitionKeys(keys["public_key"], keys["wrapped_private_key"], keys["wrap_nonce"])
    for secret in secrets:
        master = base64.b64encode(secret).decode()
        settings = Settings(env="test", sealing_key=master)
        try:  # the master key's share, taken for the whole key (as before the split)
            as_whole = sealing.CompetitionKeys(
                stored.public_key, stored.wrapped_private_key, stored.wrap_nonce, sealing.LEGACY_SCHEME
            )
            opening = sealing.unwrap_opening_key(settings, as_whole, competition_id=cid)
        except (sealing.SealingError, ValueError):
            continue
        for v in versions:
            with contextlib.suppress(sealing.SealingError):
                recovered.append(
                    opening.open(
                        sealing.SealedBid(v["ciphertext"], v["nonce"], v["ephemeral_public_key"]),
                        bid_id=uuid.UUID(v["bid_id"]),
                        version=int(v["version"]),
                    )
                )
    for candidate in candidates:
        text = candidate.decode(errors="ignore")
        for token in tokens:
            if token["holder_key_wrap"] is not None:
                key = holder.unwrap(
                    token=text, token_id=uuid.UUID(token["id"]), wrapped=token["holder_key_wrap"]
                )
                if key is not None:
                    recovered.append(key)
        as_holder = candidate[:32].ljust(32, b"\0")
        for share in shares:
            with contextlib.suppress(holder.HolderKeyError):
                recovered.append(
                    holder.open_sealed(
                        as_holder, share["sealed_share"], context=b"dpr opening share v2|" + cid.bytes
                    )
                )
        for v in versions:
            if v["supplier_copy"] is None:
                continue
            with contextlib.suppress(sealing.SealingError):
                recovered.append(
                    sealing.open_supplier_copy(
                        as_holder,
                        v["supplier_copy"],
                        supplier_id=uuid.UUID(v["supplier_id"]),
                        bid_id=uuid.UUID(v["bid_id"]),
                        version=int(v["version"]),
                    )
                )
    return recovered


def test_a_dump_and_every_secret_of_the_data_directory_recover_no_bid(
    scratch_database_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    engine = make_engine(scratch_database_url, pool_size=2)
    with Session(engine, expire_on_commit=False) as session:
        world = make_ring_world(session)
        bidders = make_bidders(session, world, count=2)
        session.commit()
    # Local mode: the keys are generated into the data directory, where the insider finds them.
    settings = Settings(env="local", database_url=scratch_database_url, data_dir=data_dir, db_pool_size=2)
    with TestClient(create_app(settings)) as client:
        officer = bearer(world.lead_officer)
        cid = client.post("/competitions", json=competition_body(world), headers=officer).json()["id"]
        assert (
            client.post(
                f"/competitions/{cid}/publish", json={"confirm_few_invitees": True}, headers=officer
            ).status_code
            == 200
        )
        for bidder in bidders:
            body = bid_body(price=PRICE)
            for line in body["lines"]:
                line["quality_answers"]["METHOD"] = ANSWER
            receipt = client.post(f"/competitions/{cid}/bids", json=body, headers=bidder.headers)
            assert receipt.status_code == 201
            # The supplier itself reads its copy back: the content is there.
            read = client.get(f"/bids/{receipt.json()['bid_id']}/content", headers=bidder.headers)
            assert read.json()["lines"][0]["unit_price_cents"] == PRICE

        dump = _dump(scratch_database_url)
        secrets = _secrets_of(data_dir)
        assert len(secrets) >= 6  # the three keys, as stored and decoded
        assert str(PRICE) not in dump and "mentorointi" not in dump
        recovered = _attempts(dump, secrets, cid)
        assert [r for r in recovered if str(PRICE).encode() in r or b"mentorointi" in r] == []
        assert not any(len(r) == 32 for r in recovered)  # no holder key or opening share either

        # After the deadline the officer's token, with the master key, opens them.
        with Session(engine) as session:
            move_deadline(session, cid, from_now=timedelta(seconds=-1))
            session.commit()
        opened = client.post(f"/competitions/{cid}/open", headers=officer)
        assert opened.status_code == 200, opened.text
        prices = [line["unit_price_cents"] for b in opened.json()["bids"] for line in b["lines"]]
        assert set(prices) == {PRICE}
    engine.dispose()
