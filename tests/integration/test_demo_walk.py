"""The README's demo walk, step by step over HTTP with the demo's own tokens.

An officer opens the competition past its deadline, scores, evaluates and awards it; finance closes last
month's period, the officer approves it, finance downloads and confirms the export.
"""

import hashlib
import re
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.app.demo.competitions import SEALED_OFFERS, SEALED_TITLE
from procurement.app.demo.loader import load_demo
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.payments import months_ago

Client = TestClient[Litestar]


def _tokens(session: Session, tmp_path: Path, settings: Settings) -> dict[str, dict[str, str]]:
    tokens = load_demo(session, data_dir=tmp_path, now=utc_now(), settings=settings)
    return {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}


def _ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def test_an_officer_opens_scores_evaluates_and_awards_the_sealed_competition(
    client: Client, session: Session, tmp_path: Path, settings: Settings
) -> None:
    who = _tokens(session, tmp_path, settings)
    officer = who["officer_lahti"]
    [competition] = [c for c in _ok(client.get("/competitions")) if c["title"] == SEALED_TITLE]
    cid = competition["id"]
    # Sealed until opened: not even the buying officer reads them before.
    sealed = client.get(f"/competitions/{cid}/bids", headers=officer)
    assert (sealed.status_code, sealed.json()["title"]) == (403, "Bids are sealed")

    opening = _ok(client.post(f"/competitions/{cid}/open", headers=officer))
    assert (opening["eligible"], opening["ineligible"]) == (3, 0)
    lines = _ok(client.get(f"/competitions/{cid}/quality-scores", headers=officer))["lines"]
    scores = [
        {"bid_id": line["bid_id"], "lot_id": line["lot_id"], "criterion": code, "score": value}
        for line in lines
        for code, value in zip(
            ("METHOD", "EMPLOYERS"), SEALED_OFFERS[line["supplier_name"]][line["lot"]][3:], strict=True
        )
    ]
    _ok(client.put(f"/competitions/{cid}/quality-scores", json={"scores": scores}, headers=officer))
    run = _ok(client.post(f"/competitions/{cid}/evaluation-runs", headers=officer), 201)
    assert run["status"] == "optimal"
    award = _ok(
        client.post(f"/competitions/{cid}/award", json={"evaluation_run_id": run["id"]}, headers=officer)
    )
    assert award["status"] == "standstill"
    served = {lot["lot"]: lot["awarded"] for lot in award["lots"]}
    assert served == {"LAHTI": 20, "PAIJAT-HAME": 15}
    # The award is public at once; contracts wait for the standstill.
    assert client.get(f"/competitions/{cid}/award").status_code == 200
    assert client.post(f"/competitions/{cid}/contracts", headers=officer).status_code == 409


def test_finance_closes_last_month_an_officer_approves_finance_exports(
    client: Client, session: Session, tmp_path: Path, settings: Settings
) -> None:
    who = _tokens(session, tmp_path, settings)
    finance, officer = who["finance_lahti"], who["officer_lahti"]
    [period] = _ok(client.get("/periods", headers=finance))
    assert (period["month"], period["state"]) == (months_ago(1).label, "open")
    pid = period["id"]

    closed = _ok(client.post(f"/periods/{pid}/close", headers=finance))
    assert closed["state"] == "closed" and closed["line_count"] > 20
    assert client.post(f"/periods/{pid}/approve", headers=finance).status_code == 403  # the officer approves
    assert _ok(client.post(f"/periods/{pid}/approve", headers=officer))["state"] == "approved"

    xlsx = client.get(f"/periods/{pid}/export", params={"format": "xlsx"}, headers=finance)
    csv = client.get(f"/periods/{pid}/export", params={"format": "csv-fi"}, headers=finance)
    for file in (xlsx, csv):
        assert file.status_code == 200
        assert file.headers["x-manifest-sha256"] == hashlib.sha256(file.content).hexdigest()
    with zipfile.ZipFile(BytesIO(xlsx.content)) as book:
        assert re.findall(rb'<sheet name="([^"]+)"', book.read("xl/workbook.xml")) == [b"data", b"totals"]
    assert csv.content.startswith('\ufeff"erätunnus";"rivitunnus";"maksukausi";'.encode())
    municipalities = session.execute(
        text("SELECT count(DISTINCT home_municipality_code) FROM payment_line WHERE period_id = :p"),
        {"p": pid},
    ).scalar_one()
    assert municipalities >= 2
    assert _ok(client.post(f"/periods/{pid}/export", headers=finance))["state"] == "exported"

    before = session.execute(text("SELECT count(*) FROM payment_period")).scalar_one()
    load_demo(session, data_dir=tmp_path, now=utc_now(), settings=settings)  # loading again adds nothing
    assert session.execute(text("SELECT count(*) FROM payment_period")).scalar_one() == before
