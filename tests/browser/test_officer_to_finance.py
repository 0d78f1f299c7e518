"""In headless Chromium: an officer runs a competition to contracts; finance downloads an export."""

import hashlib
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session

from procurement.core.clock import to_helsinki, utc_now
from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.browser.conftest import Accessibility, LiveServer, shoot
from tests.factories.core import make_token
from tests.factories.minicompetition import bid_body, make_bidders
from tests.factories.outcomes import hetu
from tests.factories.registry import make_ring_world

DAY_S = 86_400


def _seed(url: str) -> dict[str, Any]:
    """A ring with three admitted suppliers and a finance user of the buying authority."""
    engine = make_engine(url, pool_size=1)
    try:
        with Session(engine, expire_on_commit=False) as session:
            world = make_ring_world(session)
            bidders = [b.token for b in make_bidders(session, world, count=3)]
            seed = {
                "officer": world.lead_officer,
                "finance": make_token(session, role="finance", authority_id=world.lead_id),
                "bidders": bidders,
                "dps": str(world.dps.id),
            }
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


def _days_to_next_month(offset_days: int) -> int:
    """The offset that puts the clocks on the 3rd of the month after the shifted day (Helsinki)."""
    today = to_helsinki(utc_now()).date()
    shifted = today + timedelta(days=offset_days)
    first_next = (shifted.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (first_next + timedelta(days=2) - today).days


def _sign_in(context: Any, token: str) -> Any:
    page = context.new_page()
    page.goto("/ui/sign-in")
    page.fill("#token", token)
    page.get_by_role("button", name="Kirjaudu sisään").click()
    return page


def _coded(body: dict[str, Any]) -> dict[str, Any]:
    """The bid's answers under the codes the form gave the sub-criteria (Q1, Q2 in their order)."""
    for line in body["lines"]:
        answers = list(line["quality_answers"].values())
        line["quality_answers"] = {f"Q{i + 1}": a for i, a in enumerate(answers)}
    return body


def _move_clock(server: LiveServer, days: int) -> None:
    moved = httpx.put(f"{server.url}/_test/clock", json={"offset_s": days * DAY_S})
    assert moved.status_code == 200, moved.text


def _fill_competition(page: Any, dps_id: str, *, budget: str) -> None:
    now = to_helsinki(utc_now())
    fields = {
        "title": "Työllistymisvalmennus selaimessa",
        "description": "Valmennus avoimille työmarkkinoille.",
        "budget_cents": budget,
        "qa_deadline": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "tender_deadline": (now + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
        "lots[0].code": "LAHTI",
        "lots[0].municipality_codes": "398",
        "lots[0].demand": "40",
        "lots[0].max_unit_price_cents": "3 000",
        "weights.price_bp": "50",
        "weights.quality_bp": "20",
        "weights.outcome_bp": "30",
        "quality_criteria[0].name": "Valmennusmenetelmä",
        "quality_criteria[0].weight_bp": "60",
        "quality_criteria[1].name": "Työnantajayhteistyö",
        "quality_criteria[1].weight_bp": "40",
        "allocation_rules.max_suppliers_per_lot": "3",
        "allocation_rules.max_share_bp": "60",
        "allocation_rules.min_allocation": "5",
        "scope.intended_effect": "Pitkäaikaistyöttömät työllistyvät.",
        "scope.expected_participants": "40",
        "scope.expected_cost_cents": "100 000",
        "scope.expected_outcomes": "25",
    }
    page.select_option('[name="dps_id"]', dps_id)
    page.select_option('[name="category"]', "EMPLOYMENT")
    # A second sub-criterion row, added in place by htmx (the first row is there from the start).
    page.get_by_role("button", name="Lisää alakriteeri").click()
    page.locator('[name="quality_criteria[1].name"]').wait_for()
    page.select_option('[name="lots[0].target_group"]', "long_term_unemployed")
    for name, value in fields.items():
        page.fill(f'[name="{name}"]', value)


def test_officer_runs_a_competition_and_finance_downloads_a_verified_export(
    live_server: LiveServer, live_settings: Settings, browser: Any, axe: Accessibility
) -> None:
    began = time.monotonic()
    seed = _seed(live_settings.database_url or "")
    bidders: list[str] = seed["bidders"]
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(10_000)

    page = _sign_in(context, seed["officer"])
    assert page.url.endswith("/ui/officer")
    assert page.get_by_role("heading", name="Käsittelyä odottavat hakemukset").is_visible()
    axe.check(page, "officer-start")
    shoot(page, "01-officer-start")

    page.goto("/ui/competitions/new")
    _fill_competition(page, seed["dps"], budget="kaksisataa")
    page.get_by_role("button", name="Tallenna luonnos").click()
    assert page.locator("#f-budget_cents-error").inner_text().endswith("Anna summa euroina, esim. 1 234,50.")
    axe.check(page, "competition-form-errors")
    shoot(page, "02-competition-form-errors")
    page.fill('[name="budget_cents"]', "200 000")
    page.get_by_role("button", name="Tallenna luonnos").click()
    found = re.search(r"/ui/competitions/([0-9a-f-]{36})\?done=saved$", page.url)
    assert found, page.url
    competition_id = found.group(1)
    assert page.locator("#state").inner_text() == "luonnos"

    page.get_by_role("button", name="Julkaise ja kutsu hyväksytyt palveluntuottajat").click()
    axe.check(page, "publish-confirmation")
    shoot(page, "03a-publish-confirmation")
    page.get_by_role("button", name="Julkaise ja kutsu", exact=True).click()  # irreversible: confirmed
    assert page.locator("#state").inner_text() == "julkaistu"
    assert page.get_by_role("status").inner_text().startswith("Kilpailutus on julkaistu")
    axe.check(page, "competition-published")
    shoot(page, "03-competition-published")

    for token, price in zip(bidders, (250_000, 240_000, 230_000), strict=True):
        sent = httpx.post(
            f"{live_server.url}/competitions/{competition_id}/bids",
            json=_coded(bid_body(price=price, capacity=20, lots=("LAHTI",))),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert sent.status_code == 201, sent.text

    # Sealed until the deadline: the page offers no opening before it.
    assert page.get_by_role("button", name="Avaa tarjoukset").count() == 0
    _move_clock(live_server, 15)
    # Fifteen days later the browser session has long ended (30 min idle, 8 h at most): sign in again.
    page = _sign_in(context, seed["officer"])
    late = httpx.post(
        f"{live_server.url}/competitions/{competition_id}/bids",
        json=bid_body(price=200_000, capacity=20, lots=("LAHTI",)),
        headers={"Authorization": f"Bearer {bidders[0]}"},
    )
    assert late.status_code == 409, late.text  # the bid transaction reads the moved database clock
    page.goto(f"/ui/competitions/{competition_id}")
    assert page.locator("#state").inner_text() == "suljettu"  # past the deadline on the moved clock
    page.get_by_role("button", name="Avaa tarjoukset").click()
    page.get_by_role("button", name="Avaa tarjoukset").click()  # the confirmation page
    assert f"/ui/competitions/{competition_id}/bids" in page.url
    assert page.locator("input.score").count() == 6
    quality = {"Valmennus 1 Oy": ("80", "85"), "Valmennus 2 Oy": ("70", "75"), "Valmennus 3 Oy": ("60", "65")}
    for supplier, (method, employers) in quality.items():
        row = page.locator("tr", has=page.get_by_role("rowheader", name=supplier))
        row.locator("input.score").nth(0).fill(method)
        row.locator("input.score").nth(1).fill(employers)
    page.get_by_role("button", name="Tallenna pisteet").click()
    axe.check(page, "bids-and-scores")
    shoot(page, "04-bids-and-scores")

    page.get_by_role("button", name="Suorita vertailu").click()
    assert "/ui/runs/" in page.url
    rows = page.locator("#lines tbody tr")
    assert rows.count() == 3
    ranks = sorted(int(rows.nth(i).locator("td").nth(6).inner_text()) for i in range(3))
    assert ranks == [1, 2, 3]
    loser = page.locator("#lines tbody tr", has=page.get_by_role("button", name=re.compile("^Laske")))
    assert loser.count() == 1 and loser.locator("td").nth(7).inner_text() == "0"
    name = loser.locator("th").inner_text()
    loser.get_by_role("button").click()
    page.locator("#lines .ptw").wait_for()  # htmx swapped the answer into the cell, no page load
    answer = page.locator("#lines tbody tr").filter(has_text=name).locator(".ptw").inner_text()
    assert (name, answer) == ("Valmennus 2 Oy", "2\u00a0395,83\u00a0€")
    axe.check(page, "allocation")
    shoot(page, "05-allocation")

    page.get_by_text("Poikkea osan jaosta LAHTI").click()
    page.get_by_label("Poikkeamisen perustelu (jätä tyhjäksi, jos vertailun jako pidetään)").fill(
        "Jatkuvuus: nykyinen palveluntuottaja jatkaa 8 osallistujan kanssa."
    )
    for name, volume in (("Valmennus 3 Oy", "20"), ("Valmennus 1 Oy", "12"), ("Valmennus 2 Oy", "8")):
        page.get_by_label(f"{name}: osallistujaa").fill(volume)
    page.get_by_role("button", name="Anna hankintapäätös").click()
    page.get_by_role("button", name="Anna hankintapäätös").click()  # the confirmation page
    assert page.locator("#state").inner_text() == "päätös annettu"
    assert (
        page.get_by_role(
            "cell", name="Jatkuvuus: nykyinen palveluntuottaja jatkaa 8 osallistujan kanssa."
        ).count()
        == 3
    )
    shoot(page, "06-award")

    _move_clock(live_server, 31)
    page = _sign_in(context, seed["officer"])
    page.goto(f"/ui/competitions/{competition_id}")
    page.get_by_role("button", name="Tee sopimukset").click()
    page.get_by_role("button", name="Tee sopimukset").click()  # the confirmation page
    assert page.locator("#state").inner_text() == "sopimukset tehty"
    assert page.locator("#contracts tbody tr").count() >= 2
    axe.check(page, "contracts")
    shoot(page, "07-contracts")

    # A referral to the first contract, started by its supplier; the officer verifies the start here.
    contract = _api(live_server, "GET", f"/competitions/{competition_id}/contracts", seed["officer"])[0]
    seller = next(
        t for t in bidders if _api(live_server, "GET", "/suppliers/me", t)["id"] == contract["supplier_id"]
    )
    participant = _api(
        live_server,
        "POST",
        "/participants",
        seed["officer"],
        {"hetu": hetu(73), "home_municipality_code": "398", "tier": "T2"},
    )
    referral = _api(
        live_server,
        "POST",
        "/referrals",
        seed["officer"],
        {
            "participant_id": participant["id"],
            "contract_id": contract["id"],
            "lot_id": contract["lots"][0]["lot_id"],
        },
    )
    started_on = (to_helsinki(utc_now()) + timedelta(days=31)).date().isoformat()
    _api(
        live_server,
        "POST",
        f"/referrals/{referral['id']}/start",
        seller,
        {"started_on": started_on, "evidence_sha256": "b" * 64},
    )
    page.goto(f"/ui/referrals/{referral['id']}")
    page.get_by_role("button", name="Varmenna").click()
    assert page.get_by_role("cell", name="varmennettu").count() == 1
    shoot(page, "08-referral-verified")

    # The month ends: finance opens and closes its period, an officer approves, finance downloads.
    _move_clock(live_server, _days_to_next_month(31))
    month = started_on[:7]
    finance = _sign_in(browser.new_context(base_url=live_server.url, accept_downloads=True), seed["finance"])
    assert finance.url.endswith("/ui/finance")
    finance.fill("#month", month)
    finance.get_by_role("button", name="Avaa maksukausi").click()
    period_url = finance.url
    assert re.search(r"/ui/finance/periods/[0-9a-f-]{36}\?done=period_opened$", period_url), period_url
    period_url = period_url.split("?")[0]
    finance.get_by_role("button", name="Sulje ja laske maksukausi").click()
    finance.get_by_role("button", name="Sulje ja laske maksukausi").click()  # the confirmation page
    assert finance.locator("#period-state").inner_text() == "suljettu"
    axe.check(finance, "finance-period-closed")
    shoot(finance, "09-period-closed")

    page = _sign_in(context, seed["officer"])
    page.goto(period_url)
    page.get_by_role("button", name="Hyväksy").click()
    page.get_by_role("button", name="Hyväksy").click()  # the confirmation page
    assert page.locator("#period-state").inner_text() == "hyväksytty"

    finance.goto("/ui/finance")
    axe.check(finance, "finance-periods")
    shoot(finance, "10-finance-periods")
    finance.goto(period_url)
    shown_sha = finance.locator('[data-sha="csv-fi"]').inner_text()
    shown_rows = finance.locator('[data-rows="csv-fi"]').inner_text()
    axe.check(finance, "period-exports")
    shoot(finance, "11-period-exports")
    with finance.expect_download() as download:
        finance.locator('a[href$="format=csv-fi"]').click()
    data = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == shown_sha
    assert shown_rows == "1" and data.decode("utf-8-sig").count("\n") == 2  # the header and the start

    axe.save("officer-to-finance")
    assert axe.violations() == {}, axe.violations()
    print(f"browser e2e: {time.monotonic() - began:.1f} s, axe by impact {axe.by_impact()}")
