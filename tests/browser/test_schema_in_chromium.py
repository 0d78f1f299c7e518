"""Headless Chromium, every request off the server refused: /schema still shows the API's operations."""

from typing import Any
from urllib.parse import urlsplit

from tests.browser.conftest import LiveServer, shoot


def test_schema_renders_without_internet(live_server: LiveServer, browser: Any) -> None:
    # Swagger UI renders sections as they come into view: a tall window shows every tag at once.
    page = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 20_000}
    ).new_page()
    elsewhere: list[str] = []

    def only_local(route: Any) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(live_server.url).netloc:
            route.continue_()
        else:  # as if offline: anything outside the app fails
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto("/schema")
    # Swagger UI renders the operations tag by tag: wait for the one we look for, not just the first.
    bids = page.locator('.opblock-summary-path[data-path="/competitions/{competition_id}/bids"]')
    bids.first.wait_for(timeout=30_000)
    assert bids.first.inner_text().replace("\u200b", "") == "/competitions/{competition_id}/bids"
    shoot(page, "schema-offline")
    assert elsewhere == []
