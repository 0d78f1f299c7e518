"""In headless Chromium: a supplier's session cannot reach officer pages; a form without CSRF is refused."""

from typing import Any

from sqlmodel import Session

from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.browser.conftest import Accessibility, LiveServer, shoot
from tests.factories.minicompetition import make_bidders
from tests.factories.registry import make_ring_world


def _world(url: str) -> tuple[str, str]:
    engine = make_engine(url, pool_size=1)
    try:
        with Session(engine, expire_on_commit=False) as session:
            world = make_ring_world(session)
            supplier = make_bidders(session, world, count=1)[0].token
            officer = world.lead_officer
            session.commit()
        return officer, supplier
    finally:
        engine.dispose()


def _sign_in(browser: Any, server: LiveServer, token: str) -> Any:
    page = browser.new_context(base_url=server.url).new_page()
    page.goto("/ui/sign-in")
    page.fill("#token", token)
    page.get_by_role("button", name="Kirjaudu sisään").click()
    return page


def test_supplier_session_is_kept_out_and_forms_need_the_csrf_token(
    live_server: LiveServer, live_settings: Settings, browser: Any, axe: Accessibility
) -> None:
    officer, supplier = _world(live_settings.database_url or "")

    outsider = _sign_in(browser, live_server, supplier)
    for path in ("/ui/officer", "/ui/competitions/new", "/ui/applications", "/ui/finance"):
        seen = outsider.goto(path)
        assert seen is not None and seen.status == 403, path
    assert "Roolisi ei salli tätä" in outsider.locator("h1").inner_text()
    axe.check(outsider, "forbidden")
    shoot(outsider, "20-supplier-forbidden")
    hidden = outsider.goto("/ui/competitions/00000000-0000-0000-0000-000000000000")
    assert hidden is not None and hidden.status == 403  # the role is refused before any lookup

    # The keyboard alone: Tab to the token field, type, Enter; then the language switch by keyboard.
    page = browser.new_context(base_url=live_server.url).new_page()
    page.goto("/ui/sign-in")
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "token":
            break
    assert page.evaluate("document.activeElement.id") == "token"
    page.keyboard.type(officer)
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/officer")
    page.get_by_role("button", name="In English").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Pending applications").is_visible()
    axe.check(page, "officer-start-en")
    shoot(page, "21-officer-start-english")
    with page.expect_navigation():
        page.get_by_role("button", name="Suomeksi").press("Enter")

    page.goto("/ui/competitions")
    # The browser's own cookies go along, but without the form's token the post is refused.
    forged = page.request.post(f"{live_server.url}/ui/finance/periods", form={"month": "2026-01"})
    assert forged.status == 403 and "CSRF" in forged.text()
    wrong = page.request.post(
        f"{live_server.url}/ui/language", form={"lang": "en", "next": "/ui/", "_csrf": "f" * 64}
    )
    assert wrong.status == 403
    page.goto("/ui/competitions")
    assert page.locator("html").get_attribute("lang") == "fi"

    axe.save("boundaries")
    assert axe.violations() == {}, axe.violations()
