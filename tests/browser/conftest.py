"""A real HTTP server on a migrated scratch database, and Debian's Chromium driven by Playwright."""

import base64
import json
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from procurement.app.factory import create_app
from procurement.core.settings import Settings

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system Chromium; under CI its absence fails the run, locally the browser tests skip."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser tests: install Debian's chromium (.ci/run does).")
        pytest.skip("Chromium is not installed (apt-get install chromium); the browser tests need it.")
    return found


class LiveServer:
    """The app served by uvicorn in a thread, on a free port of 127.0.0.1."""

    def __init__(self, settings: Settings) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def live_settings(scratch_database_url: str, tmp_path: Path) -> Settings:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    return Settings(
        env="test",
        database_url=scratch_database_url,
        data_dir=tmp_path / "data",
        pseudonym_key=key,
        sealing_key=base64.b64encode(secrets.token_bytes(32)).decode(),
        session_key=base64.b64encode(secrets.token_bytes(32)).decode(),
        db_pool_size=4,
    )


@pytest.fixture
def live_server(live_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(live_settings) as server:
        yield server


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=args)
        try:
            yield launched
        finally:
            launched.close()


# axe-core from its npm package, vendored (tests/browser/vendor/README.md): nothing is fetched at test time.
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")


class Accessibility:
    """axe-core runs on the pages a test visits (every rule axe enables by default: WCAG 2.0/2.1 A and
    AA and its best practices); violations are kept per page and written out."""

    def __init__(self) -> None:
        self.pages: dict[str, list[dict[str, Any]]] = {}
        self.version = ""

    def check(self, page: Any, name: str) -> None:
        # evaluate() runs through the DevTools protocol: the page's CSP (no inline script) stays in force.
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(AXE_SOURCE)
        results = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
        self.version = results["testEngine"]["version"]
        self.pages[name] = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "targets": [n["target"] for n in v["nodes"]][:5],
            }
            for v in results["violations"]
        ]

    def by_impact(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for violations in self.pages.values():
            for v in violations:
                counts[v["impact"] or "none"] = counts.get(v["impact"] or "none", 0) + 1
        return counts

    def violations(self) -> dict[str, list[dict[str, Any]]]:
        """Pages with any violation, whatever its impact."""
        return {name: vs for name, vs in self.pages.items() if vs}

    def save(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        report = {
            "axe": self.version,
            "pages": len(self.pages),
            "by_impact": self.by_impact(),
            "violations": self.pages,
        }
        (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))


@pytest.fixture
def axe() -> Accessibility:
    return Accessibility()


def shoot(page: Any, name: str) -> None:
    """A full-page screenshot into artifacts/screenshots/ (git-ignored)."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
