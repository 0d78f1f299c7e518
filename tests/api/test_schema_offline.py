"""/schema works without internet: the page names only files the app serves itself, and they are there."""

import hashlib
import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient

from procurement.app.apidocs import STATIC


def test_schema_page_loads_only_local_files(client: TestClient[Litestar]) -> None:
    for path in ("/schema", "/schema/swagger"):
        page = client.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "http://" not in page.text and "https://" not in page.text, path
        assert "validatorUrl: null" in page.text  # the document is never sent to validator.swagger.io
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(r"href='([^']+)'", page.text)
        assert sorted(assets) == [
            "/schema/static/favicon-32x32.png",
            "/schema/static/swagger-ui-bundle.js",
            "/schema/static/swagger-ui.css",
        ]
        for asset in assets:
            served = client.get(asset)
            assert served.status_code == 200, asset
            assert served.content == (STATIC / Path(asset).name).read_bytes()
        assert re.search(r'url: "/schema/openapi.json"', page.text)
    assert client.get("/schema/openapi.json").json()["info"]["title"] == "Dynamic procurement ring API"


def test_vendored_files_carry_their_licence_and_provenance() -> None:
    readme = (STATIC / "README.md").read_text()
    assert "swagger-ui-dist` 5.35.0" in readme
    assert (STATIC / "LICENSE").read_text().startswith("\n                                 Apache License")
    bundle = (STATIC / "swagger-ui-bundle.js").read_bytes()
    assert bundle.startswith(b"/*! For license information please see swagger-ui-bundle.js.LICENSE.txt */")
    # The bundle is the published one, unchanged (its SHA-256 as packed in swagger-ui-dist 5.35.0).
    assert hashlib.sha256(bundle).hexdigest() == (
        "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2"
    )
