"""In headless Chromium: a bidder reads its award decision and files a rectification request; the officer
decides it from the queue; the pages in Finnish and English, checked with axe-core, saved as screenshots."""

from types import SimpleNamespace
from typing import Any

import httpx
from sqlmodel import Session

from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.browser.conftest import Accessibility, LiveServer, shoot
from tests.factories.minicompetition import bid_body, competition_body, make_bidders
from tests.factories.registry import make_ring_world

DAY_S = 86_400


def _seed(url: str) -> dict[str, Any]:
    engine = make_engine(url, pool_size=1)
    try:
        with Session(engine, expire_on_commit=False) as session:
            world = make_ring_world(session)
            seed = {
                "officer": world.lead_officer,
                "bidders": [b.token for b in make_bidders(session, world, count=3)],
                "dps": str(world.dps.id),
            }
            session.commit()
        return seed
    finally:
        engine.dispose()


def _api(server: LiveServer, method: str, path: str, token: str, body: Any = None) -> Any:
    answer = httpx.request(
        method, f"{server.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _awarded(server: LiveServer, seed: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A competition run through the API to an issued and delivered award decision."""
    officer = seed["officer"]
    world = SimpleNamespace(dps=SimpleNamespace(id=seed["dps"]))
    cid = _api(server, "POST", "/competitions", officer, competition_body(world))["id"]
    _api(server, "POST", f"/competitions/{cid}/publish", officer, {"confirm_few_invitees": True})
    for token, price in zip(seed["bidders"], (250_000, 240_000, 260_000), strict=True):
        _api(server, "POST", f"/competitions/{cid}/bids", token, bid_body(price=price, capacity=20))
    assert httpx.put(f"{server.url}/_test/clock", json={"offset_s": 15 * DAY_S}).status_code == 200
    _api(server, "POST", f"/competitions/{cid}/open", officer)
    table = _api(server, "GET", f"/competitions/{cid}/quality-scores", officer)
    scores = [
        {"bid_id": line["bid_id"], "lot_id": line["lot_id"], "criterion": code, "score": 70 + i}
        for i, line in enumerate(table["lines"])
        for code in ("METHOD", "EMPLOYERS")
    ]
    _api(server, "PUT", f"/competitions/{cid}/quality-scores", officer, {"scores": scores})
    run = _api(server, "POST", f"/competitions/{cid}/evaluation-runs", officer)
    _api(server, "POST", f"/competitions/{cid}/award", officer, {"evaluation_run_id": run["id"]})
    decision = _api(server, "GET", f"/competitions/{cid}/award-decisions", officer)[0]
    return cid, decision


def _sign_in(context: Any, token: str) -> Any:
    page = context.new_page()
    page.goto("/ui/sign-in")
    page.fill("#token", token)
    page.get_by_role("button", name="Kirjaudu sisään").click()
    page.wait_for_load_state()
    return page


def test_bidder_requests_rectification_and_officer_decides_in_the_browser(
    live_server: LiveServer, live_settings: Settings, browser: Any, axe: Accessibility
) -> None:
    seed = _seed(live_settings.database_url or "")
    cid, decision = _awarded(live_server, seed)
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)

    # The losing bidder (the dearest) reads the decision delivered to it, in Finnish.
    page = _sign_in(context, seed["bidders"][2])
    page.goto(f"/ui/decisions/{decision['id']}")
    assert page.get_by_role("heading", name="Päätösasiakirja").is_visible()
    assert page.get_by_role("link", name="PDF").count() == 2
    axe.check(page, "decision-bidder-fi")
    shoot(page, "award-01-decision-bidder-fi")
    page.get_by_label("Perusteet").fill("Laatupisteet on laskettu väärin: menetelmämme täyttää vaatimukset.")
    page.get_by_role("button", name="Jätä vaatimus").click()
    assert "/ui/rectification-requests/" in page.url
    assert page.get_by_text("jätetty").first.is_visible()
    axe.check(page, "rectification-bidder-fi")
    shoot(page, "award-02-request-filed-fi")
    page.get_by_role("button", name="In English").click()
    page.goto(f"/ui/decisions/{decision['id']}")
    assert page.get_by_role("heading", name="The decision document").is_visible()
    axe.check(page, "decision-bidder-en")
    shoot(page, "award-03-decision-bidder-en")

    # The officer finds it in the queue, dismisses it with reasons; the decision is delivered.
    officer_context = browser.new_context(base_url=live_server.url)
    officer_context.set_default_timeout(15_000)
    page = _sign_in(officer_context, seed["officer"])
    page.get_by_role("link", name="Oikaisuvaatimukset").click()
    assert page.url.endswith("/ui/rectification-requests")
    axe.check(page, "rectification-queue-fi")
    shoot(page, "award-04-queue-fi")
    page.locator("tbody a").first.click()
    page.get_by_label("Perustelut").fill("Laatupisteet on annettu ilmoitettujen arviointiperusteiden mukaan.")
    axe.check(page, "rectification-decide-fi")
    page.get_by_role("button", name="Päätä ja anna tiedoksi tarjoajille").click()
    assert page.get_by_text("hylätty").first.is_visible()
    assert page.get_by_role("link", name="PDF").count() == 2
    shoot(page, "award-05-request-dismissed-fi")
    page.goto(f"/ui/competitions/{cid}/decisions")
    assert page.get_by_role("heading", name="Valitukset markkinaoikeuteen").is_visible()
    axe.check(page, "decisions-officer-fi")
    shoot(page, "award-06-decisions-officer-fi")
    axe.save("award-decision")
    assert axe.violations() == {}
