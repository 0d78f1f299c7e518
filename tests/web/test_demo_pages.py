"""Every officer and finance page renders with the demo's data, in Finnish and English."""

import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from procurement.app.demo.loader import load_demo
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.web.helpers import csrf_of, sign_in


def _links(html: str, prefix: str) -> list[str]:
    return sorted(set(re.findall(rf'href="({prefix}[0-9a-f-]{{36}})"', html)))


def test_demo_pages_render_for_officer_and_finance(
    client: TestClient[Litestar], session: Session, settings: Settings, tmp_path: Path
) -> None:
    tokens = load_demo(session, data_dir=tmp_path, now=utc_now(), settings=settings)
    officer = next(v for k, v in tokens.items() if k.startswith("officer"))
    finance = next(v for k, v in tokens.items() if k.startswith("finance"))

    csrf = sign_in(client, officer)
    for lang in ("fi", "en"):
        client.post("/ui/language", data={"lang": lang, "next": "/ui/officer", "_csrf": csrf})
        seen = ["/ui/officer", "/ui/applications", "/ui/admissions", "/ui/competitions", "/ui/referrals"]
        listing = client.get("/ui/competitions").text
        seen += _links(listing, "/ui/competitions/")
        for competition in _links(listing, "/ui/competitions/"):
            seen += _links(client.get(competition).text, "/ui/runs/")
        seen += _links(client.get("/ui/referrals").text, "/ui/referrals/")[:3]
        for path in seen:
            page = client.get(path)
            assert page.status_code == 200, (path, page.text[:500])
            assert f'lang="{lang}"' in page.text
        assert any(p.startswith("/ui/runs/") for p in seen)

    sign_in(client, finance)
    periods = client.get("/ui/finance")
    assert periods.status_code == 200
    for period in _links(periods.text, "/ui/finance/periods/"):
        assert client.get(period).status_code == 200
    assert csrf_of(periods.text)
