"""In headless Chromium with the keyboard only (Tab, typing, arrows, Enter; no mouse): an officer
publishes a competition, and a supplier sends a bid. Every stop on the way shows where the focus is."""

import time
from typing import Any

import httpx
from sqlmodel import Session

from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.browser.conftest import LiveServer, shoot
from tests.factories.minicompetition import competition_body, make_bidders
from tests.factories.registry import make_ring_world

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    name: el.getAttribute('name') || '',
    text: (el.innerText || el.value || '').trim(),
    tag: el.tagName.toLowerCase(),
    // A date or time input is focused on one of its parts, which the browser highlights itself.
    visible: ['date', 'datetime-local', 'month', 'time'].includes(el.type)
      || (el.matches(':focus-visible') && style.outlineStyle !== 'none' && style.outlineWidth !== '0px'),
  };
}"""


class Keyboard:
    """Moves through a page with Tab only, counting the key presses."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.presses = 0

    def to(self, *, name: str | None = None, text: str | None = None, limit: int = 120) -> None:
        """Tab until the focus is on the field of that name, or the link or button with that text."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            self.presses += 1
            now = self.page.evaluate(FOCUSED)
            assert now["visible"], f"no visible focus on {now}"
            if (name is not None and now["name"] == name) or (text is not None and now["text"] == text):
                return
        raise AssertionError(f"Tab never reached {name or text}")

    def type(self, name: str, value: str) -> None:
        self.to(name=name)
        self.page.keyboard.type(value)
        self.presses += len(value)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.presses += 1

    def follow(self) -> None:
        """Enter on a link or a submit button, waiting for the next page."""
        with self.page.expect_navigation():
            self.press("Enter")


def _seed(url: str) -> dict[str, Any]:
    engine = make_engine(url, pool_size=1)
    try:
        with Session(engine, expire_on_commit=False) as session:
            world = make_ring_world(session)
            bidders = [b.token for b in make_bidders(session, world, count=3)]
            seed = {"officer": world.lead_officer, "bidders": bidders, "dps": str(world.dps.id)}
            session.commit()
        return seed
    finally:
        engine.dispose()


def _sign_in(keys: Keyboard, token: str) -> None:
    keys.page.goto("/ui/sign-in")
    keys.type("token", token)
    keys.follow()


def test_an_officer_publishes_a_competition_with_the_keyboard_only(
    live_server: LiveServer, live_settings: Settings, browser: Any
) -> None:
    seed = _seed(live_settings.database_url or "")
    page = browser.new_context(base_url=live_server.url).new_page()
    keys = Keyboard(page)
    _sign_in(keys, seed["officer"])
    keys.to(text="Kilpailutukset")
    keys.follow()
    keys.to(text="Uusi kilpailutus")
    keys.follow()
    assert page.url.endswith("/ui/competitions/new")
    keys.to(name="category")
    while page.eval_on_selector("[name=category]", "e => e.value") != "EMPLOYMENT":
        keys.press("ArrowDown")
    for name, value in {
        "title": "Näppäimistöllä julkaistu valmennus",
        "budget_cents": "150 000",
        "lots[0].code": "LAHTI",
        "lots[0].municipality_codes": "Lahti",
        "lots[0].demand": "30",
        "quality_criteria[0].name": "Valmennusmenetelmä",
        "scope.intended_effect": "Työllistyminen avoimille työmarkkinoille.",
        "scope.expected_participants": "30",
        "scope.expected_cost_cents": "120 000",
        "scope.expected_outcomes": "15",
    }.items():
        keys.type(name, value)
    keys.to(text="Tallenna luonnos")
    keys.follow()
    assert page.url.endswith("?done=saved"), page.url
    assert page.locator("#state").inner_text() == "luonnos"
    keys.to(text="Julkaise ja kutsu hyväksytyt palveluntuottajat")
    keys.follow()
    shoot(page, "keyboard-officer-publish-confirmation")
    # The confirmation's primary button has the focus already: Enter confirms.
    assert page.evaluate(FOCUSED)["text"] == "Julkaise ja kutsu"
    keys.follow()
    assert page.url.endswith("?done=published"), page.url
    assert page.locator("#state").inner_text() == "julkaistu"
    shoot(page, "keyboard-officer-published")
    print(f"keyboard: officer publish took {keys.presses} key presses")


def test_a_supplier_sends_a_bid_with_the_keyboard_only(
    live_server: LiveServer, live_settings: Settings, browser: Any
) -> None:
    seed = _seed(live_settings.database_url or "")
    world = type("W", (), {"dps": type("D", (), {"id": seed["dps"]})})()
    headers = {"Authorization": f"Bearer {seed['officer']}"}
    cid = httpx.post(f"{live_server.url}/competitions", json=competition_body(world), headers=headers).json()[
        "id"
    ]
    httpx.post(f"{live_server.url}/competitions/{cid}/publish", headers=headers).raise_for_status()
    page = browser.new_context(base_url=live_server.url).new_page()
    keys = Keyboard(page)
    began = time.monotonic()
    _sign_in(keys, seed["bidders"][0])
    keys.to(text="Kutsut ja tarjoukset")
    keys.follow()
    keys.to(text="Työllistymisvalmennus 2027")
    keys.follow()
    assert page.url.endswith(f"/ui/supplier/invitations/{cid}")
    for name, value in {
        "price-LAHTI": "2 450,00",
        "capacity-LAHTI": "20",
        "flow-LAHTI": "80",
        "answer-LAHTI-METHOD": "Yksilövalmennus.",
        "answer-LAHTI-EMPLOYERS": "Paikalliset työnantajat.",
    }.items():
        keys.type(name, value)
    keys.to(text="Lähetä suljettu tarjous")
    keys.follow()
    assert "done=bid" in page.url, page.url
    assert page.locator("#receipts tbody tr").count() == 1
    shoot(page, "keyboard-supplier-receipt")
    print(f"keyboard: supplier bid took {keys.presses} key presses, {time.monotonic() - began:.1f} s")
