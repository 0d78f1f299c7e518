"""In headless Chromium on the demo's data: every page the public, an officer, finance and a supplier reach
by links passes axe-core with no violation, and each is kept as a screenshot."""

import re
from collections import deque
from typing import Any

from sqlmodel import Session

from procurement.app.demo.loader import load_demo
from procurement.core.clock import utc_now
from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.browser.conftest import ARTIFACTS, Accessibility, LiveServer, shoot
from tests.web.crawl import PER_SHAPE, SHAPE, SKIP

ROLES = (
    ("public", None, ["/ui/public", "/ui/sign-in", "/ui/register", "/ui/no-such-page"]),
    ("officer", "officer_lahti", ["/ui/officer"]),
    ("finance", "finance_lahti", ["/ui/finance"]),
    ("supplier", "supplier_1", ["/ui/supplier"]),
)


def _demo(url: str, settings: Settings) -> dict[str, str]:
    engine = make_engine(url, pool_size=1)
    try:
        with Session(engine, expire_on_commit=False) as session:
            tokens = load_demo(session, data_dir=settings.data_dir, now=utc_now(), settings=settings)
            session.commit()
        return tokens
    finally:
        engine.dispose()


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", SHAPE.sub("x", path.removeprefix("/ui/")).lower()).strip("-") or "root"


def _walk(page: Any, starts: list[str], visit: Any, *, limit: int = 60) -> int:
    """Follow GET links breadth-first as a person clicking would (a few pages of each kind)."""
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    queue = deque(starts)
    while queue and len(seen) < limit:
        path = queue.popleft().split("#")[0]
        if path in seen or not path.startswith("/ui") or SKIP.match(path):
            continue
        shape = SHAPE.sub("X", path.split("?")[0]) + ("?" if "?" in path else "")
        if shapes.get(shape, 0) >= PER_SHAPE:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        seen.add(path)
        page.goto(path)
        page.wait_for_load_state("networkidle")
        visit(path)
        links = page.eval_on_selector_all("a[href^='/ui']", "els => els.map(e => e.getAttribute('href'))")
        queue.extend(links)
    return len(seen)


def test_every_page_of_every_role_has_no_axe_violation(
    live_server: LiveServer, live_settings: Settings, browser: Any
) -> None:
    tokens = _demo(live_settings.database_url or "", live_settings)
    axe = Accessibility()
    names: list[str] = []
    for role, who, starts in ROLES:
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        page = context.new_page()
        if who:
            page.goto("/ui/sign-in")
            page.fill("#token", tokens[who])
            page.get_by_role("button", name="Kirjaudu sisään").click()

        def visit(path: str, role: str = role, page: Any = page) -> None:
            number = sum(1 for n in names if n.startswith(f"every-{role}-")) + 1
            name = f"every-{role}-{number:02d}-{_slug(path)}"
            axe.check(page, f"{role} {path}")
            shoot(page, name)
            names.append(name)

        _walk(page, starts, visit)
        context.close()
    axe.save("every-page")
    (ARTIFACTS / "screenshots-every-page.txt").write_text("\n".join(f"{n}.png" for n in names) + "\n")
    print(f"axe {axe.version}: {len(axe.pages)} pages, by impact {axe.by_impact()}")
    assert len(axe.pages) > 40
    assert axe.violations() == {}, axe.violations()
