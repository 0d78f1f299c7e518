"""In headless Chromium, a small provider by hand: registers, applies with an uploaded document, bids
through the form, reads its receipt and, after the award, its explanation and price to win."""

import hashlib
import re
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from sqlmodel import Session

from procurement.core.clock import to_helsinki, utc_now
from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.browser.conftest import Accessibility, LiveServer, shoot
from tests.factories.minicompetition import bid_body, competition_body, make_bidders
from tests.factories.registry import business_id, make_ring_world

DAY_S = 86_400
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% Verovelkatodistus, Pieni Polku ry\n%%EOF\n"
SHOTS: list[str] = []


def _seed(url: str) -> dict[str, Any]:
    """A published DPS with two admitted competitors and its officer; the journey's supplier is new."""
    engine = make_engine(url, pool_size=1)
    try:
        with Session(engine, expire_on_commit=False) as session:
            world = make_ring_world(session)
            others = [b.token for b in make_bidders(session, world, count=2)]
            seed = {"officer": world.lead_officer, "others": others, "dps": str(world.dps.id)}
            session.commit()
        return seed
    finally:
        engine.dispose()


def _api(server: LiveServer, method: str, path: str, token: str, body: Any = None) -> Any:
    answer = httpx.request(
        method, f"{server.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _shot(page: Any, axe: Accessibility, name: str) -> None:
    """Every page of the journey: checked by axe-core and kept as a screenshot."""
    axe.check(page, name)
    shoot(page, name)
    SHOTS.append(name)


def _officer_runs_the_competition(server: LiveServer, seed: dict[str, Any], cid: str) -> None:
    """Open after the deadline, score every line, evaluate and award (the officer's own pages have
    their own browser test; here the API does it)."""
    officer = seed["officer"]
    _api(server, "POST", f"/competitions/{cid}/open", officer)
    opened = _api(server, "GET", f"/competitions/{cid}/bids", officer)
    lot = _api(server, "GET", f"/competitions/{cid}", officer)["lots"][0]["id"]
    scores = [
        {"bid_id": b["bid_id"], "lot_id": lot, "criterion": c, "score": 70}
        for b in opened
        for c in ("METHOD", "EMPLOYERS")
    ]
    _api(server, "PUT", f"/competitions/{cid}/quality-scores", officer, {"scores": scores})
    run = _api(server, "POST", f"/competitions/{cid}/evaluation-runs", officer)
    _api(server, "POST", f"/competitions/{cid}/award", officer, {"evaluation_run_id": run["id"]})


def test_a_supplier_registers_applies_bids_and_reads_its_result(
    live_server: LiveServer, live_settings: Settings, browser: Any, axe: Accessibility, tmp_path: Path
) -> None:
    began = time.monotonic()
    seed = _seed(live_settings.database_url or "")
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()

    # Register: the token is shown once, and one click signs in with it.
    page.goto("/ui/register")
    _shot(page, axe, "supplier-01-register")
    page.get_by_label("Y-tunnus").fill(business_id(90))
    page.get_by_label("Organisaation nimi").fill("Pieni Polku ry")
    page.get_by_label("Sähköposti ilmoituksia varten").fill("toimisto@example.fi")
    page.get_by_role("button", name="Rekisteröidy").click()
    token = page.locator("#new-token").inner_text()
    assert len(token) > 30
    _shot(page, axe, "supplier-02-registered-token")
    page.get_by_role("button", name="Jatka kirjautuneena").click()
    assert page.url.endswith("/ui/supplier")
    _shot(page, axe, "supplier-03-start")

    # Apply with the uploaded evidence: the page shows each document's SHA-256.
    page.get_by_role("link", name="Hakemukset", exact=True).click()
    _shot(page, axe, "supplier-04-apply-form")
    today = to_helsinki(utc_now()).date()
    document = tmp_path / "verovelka.pdf"
    document.write_bytes(PDF)
    form = page.locator("form[action='/ui/supplier/applications']")
    form.get_by_label("Suora työllistyminen").check()
    for code in ("TAX_DEBT", "TRADE_REGISTER"):
        part = form.locator("fieldset.row", has_text=code.title())
        part.get_by_label("Asiakirja").set_input_files(str(document))
        part.get_by_label("Päivätty").fill((today - timedelta(days=3)).isoformat())
        part.get_by_label("Voimassa").fill((today + timedelta(days=80)).isoformat())
    form.get_by_role("button", name="Lähetä hakemus").click()
    assert page.get_by_role("status").is_visible()
    assert page.locator("code.sha").first.inner_text() == hashlib.sha256(PDF).hexdigest()
    _shot(page, axe, "supplier-05-application-sent")
    stored = live_settings.data_dir / "documents" / hashlib.sha256(PDF).hexdigest()
    assert stored.read_bytes() == PDF  # kept by its hash, outside the database rows

    # The officer admits it and publishes a competition: three invitees, the journey's supplier among them.
    application = _api(live_server, "GET", "/applications", token)[0]
    _api(
        live_server,
        "POST",
        f"/applications/{application['id']}/decision",
        seed["officer"],
        {"admit": ["EMPLOYMENT"]},
    )
    lahti = {
        "code": "LAHTI",
        "municipality_codes": ["398"],
        "target_group": "long_term_unemployed",
        "demand": 40,
        "max_unit_price_cents": 300_000,
    }
    rules = {"max_suppliers_per_lot": 2, "max_share_bp": 6000, "min_allocation": 5}
    world = SimpleNamespace(dps=SimpleNamespace(id=seed["dps"]))
    body = competition_body(world, lots=[lahti], allocation_rules=rules)  # type: ignore[arg-type]
    cid = _api(live_server, "POST", "/competitions", seed["officer"], body)["id"]
    _api(live_server, "POST", f"/competitions/{cid}/publish", seed["officer"])
    for other, price in zip(seed["others"], (230_000, 240_000), strict=True):
        _api(live_server, "POST", f"/competitions/{cid}/bids", other, bid_body(price=price))

    # The invitation, and the bid through the form: euros with a decimal comma, % and every sub-criterion.
    page.goto("/ui/supplier")
    page.get_by_role("link", name="Kutsut ja tarjoukset").click()
    _shot(page, axe, "supplier-06-invitations")
    page.get_by_role("link", name="Työllistymisvalmennus 2027").click()
    _shot(page, axe, "supplier-07-invitation-and-bid-form")
    page.get_by_label("Yksikköhinta (€ osallistujaa kohden)").fill("2 980,00")
    page.get_by_label("Kapasiteetti (osallistujaa)").fill("15")
    page.get_by_label("Sitova läpivirtaus (%)").fill("75,5")
    page.get_by_role("button", name="Lähetä suljettu tarjous").click()
    assert page.locator(".error-summary li").count() == 2  # both answers missing, said at once
    _shot(page, axe, "supplier-08-bid-form-errors")
    page.get_by_label(re.compile("^Valmennusmenetelmä")).fill("Yksilövalmennus kotikunnassa.")
    page.get_by_label(re.compile("^Työnantajayhteistyö")).fill("Kymmenen paikallista työnantajaa.")
    page.get_by_role("button", name="Lähetä suljettu tarjous").click()
    receipt = page.locator("#receipts tbody tr")
    assert receipt.count() == 1
    shown_sha = receipt.locator("code.sha").inner_text()
    assert re.search(r"\d{1,2}\.\d{1,2}\.\d{4} klo \d{1,2}\.\d{2}", receipt.locator("td").first.inner_text())
    _shot(page, axe, "supplier-09-receipt")
    inbox = _api(live_server, "GET", f"/inbox/{cid}", token)
    mine = _api(live_server, "GET", f"/bids/{inbox['my_bid']['bid_id']}", token)
    assert mine["versions"][0]["sha256"] == shown_sha  # the receipt on the page is the API's receipt
    content = _api(live_server, "GET", f"/bids/{inbox['my_bid']['bid_id']}/content", token)
    assert content["lines"][0]["unit_price_cents"] == 298_000  # sealed with a copy the supplier's key opens

    # The deadline passes and the award is issued; the session has expired: sign in again.
    httpx.put(f"{live_server.url}/_test/clock", json={"offset_s": 15 * DAY_S}).raise_for_status()
    _officer_runs_the_competition(live_server, seed, cid)
    page.goto("/ui/sign-in")
    page.fill("#token", token)
    page.get_by_role("button", name="Kirjaudu sisään").click()
    page.goto(f"/ui/supplier/invitations/{cid}")
    page.get_by_role("link", name="Tuloksesi ja sen perustelut").click()
    row = page.locator("tbody tr").first
    reason = row.locator("td").nth(7).inner_text()
    assert reason.startswith("Pisteet eivät riittäneet: sija 3/3 osassa LAHTI"), reason
    assert (
        "€" in row.locator("td").nth(8).inner_text()
        or "ei voi voittaa" in row.locator("td").nth(8).inner_text()
    )
    _shot(page, axe, "supplier-10-result-explained")

    axe.save("supplier-journey")
    (Path(__file__).resolve().parents[2] / "artifacts" / "screenshots-supplier-journey.txt").write_text(
        "\n".join(f"{name}.png" for name in SHOTS) + "\n"
    )
    assert axe.violations() == {}, axe.violations()
    print(f"supplier journey: {time.monotonic() - began:.1f} s, {len(SHOTS)} pages, axe {axe.version}")
