"""Cursor pagination over HTTP: pages walked by `after` lose and repeat nothing while rows are added, the
Link and X-Next-Cursor headers name the next page (filters kept), and a cursor that is not the list's own is
a 422 naming `after` (docs/api.md, Lists)."""

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from outcomes.payments.models import PaymentPeriod
from procurement.core.clock import helsinki_today, utc_now
from procurement.core.paging import MAX_LIMIT
from procurement.core.settings import Settings
from tests.factories.outcomes import make_outcome_world, party, run_referral

Client = TestClient[Litestar]
TODAY = helsinki_today(utc_now())
TODAY_FROM_CLOCK = True  # conftest sets TODAY again at each test's start


def walk(
    client: Client,
    path: str,
    headers: dict[str, str],
    *,
    limit: int,
    params: dict[str, str] | None = None,
    between: Callable[[int], None] | None = None,
) -> list[list[dict[str, Any]]]:
    """Every page of a list, following X-Next-Cursor; `between(n)` runs after the n-th page."""
    pages: list[list[dict[str, Any]]] = []
    after = None
    while True:
        query = {**(params or {}), "limit": str(limit)} | ({"after": after} if after else {})
        response = client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        after = response.headers.get("x-next-cursor")
        if after is None:
            assert "link" not in response.headers
            return pages
        link = response.headers["link"]
        assert link.startswith(f"<{path}?") and link.endswith('>; rel="next"')
        assert f"after={after}" in link and f"limit={limit}" in link
        for key, value in (params or {}).items():
            assert f"{key}={value}" in link  # the filters travel with the cursor
        if between is not None:
            between(len(pages))
        assert len(pages) < 50, "the walk does not end"


def test_referrals_walk_loses_and_repeats_nothing_while_referrals_are_added(
    client: Client, session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    first = [
        run_referral(session, ow, settings=settings, n=n, referred=TODAY - timedelta(days=40 - n))
        for n in range(7)
    ]
    added = []

    def refer_another(page: int) -> None:
        added.append(
            run_referral(session, ow, settings=settings, n=100 + page, referred=TODAY - timedelta(days=3))
        )

    pages = walk(client, "/referrals", ow.officer.headers, limit=3, between=refer_another)
    seen = [r["id"] for page in pages for r in page]
    assert len(seen) == len(set(seen))  # nothing repeated
    # Oldest first: the seven in order, then the ones referred during the walk (newer, so after them).
    assert seen[:7] == [str(r) for r in first]
    assert set(seen[7:]) == {str(r) for r in added}
    # Seven, plus one added after each of the first two pages: nine in three pages, the last one full.
    assert [len(p) for p in pages] == [3, 3, 3] and len(added) == 2


def test_filters_and_the_cursor_combine(client: Client, session: Session, settings: Settings) -> None:
    ow = make_outcome_world(session)
    for n in range(5):
        run_referral(
            session,
            ow,
            settings=settings,
            n=n,
            supplier=n % 2,
            referred=TODAY - timedelta(days=30 - n),
            started=TODAY - timedelta(days=20) if n < 4 else None,
            today=TODAY,
        )
    params = {"state": "started", "contract_id": str(ow.contracts[0].id)}
    pages = walk(client, "/referrals", ow.officer.headers, limit=1, params=params)
    rows = [r for page in pages for r in page]
    assert [(r["state"], r["contract_id"]) for r in rows] == [("started", str(ow.contracts[0].id))] * 2
    assert len(pages) == 2


def test_newest_first_lists_do_not_shift_when_rows_are_added(client: Client, session: Session) -> None:
    ow = make_outcome_world(session)
    headers = ow.officer.headers
    for n in range(4):
        made = client.post("/me/tokens", json={"label": f"järjestelmä {n}"}, headers=headers)
        assert made.status_code == 201, made.text
    before = [t["id"] for t in client.get("/me/tokens", params={"limit": MAX_LIMIT}, headers=headers).json()]
    added: list[str] = []

    def another(page: int) -> None:
        added.append(
            client.post("/me/tokens", json={"label": f"uusi {page}"}, headers=headers).json()["token_id"]
        )

    seen = [t["id"] for page in walk(client, "/me/tokens", headers, limit=2, between=another) for t in page]
    # Tokens made during the walk are newer than the cursor: they belong to pages already read.
    assert seen == before and len(before) == 5
    assert set(added).isdisjoint(seen) and len(added) == 2


def test_lists_keyed_by_text_walk_past_their_first_page(client: Client, session: Session) -> None:
    """Authorities by name and periods by month: a text key in the cursor reads back as text."""
    ow = make_outcome_world(session)
    for n in range(3):
        session.add(
            PaymentPeriod(
                authority_id=ow.world.lead_id, month=f"2020-0{n + 1}", created_at=utc_now(), created_by="test"
            )
        )
    session.flush()
    finance = party(session, role="finance", authority_id=ow.world.lead_id).headers
    months = [p["month"] for page in walk(client, "/periods", finance, limit=1) for p in page]
    assert months == ["2020-03", "2020-02", "2020-01"]
    names = [a["name"] for page in walk(client, "/authorities", {}, limit=1) for a in page]
    assert names == sorted(names) and len(names) >= 2


def _cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).rstrip(b"=").decode()


def test_a_cursor_not_of_the_list_is_422_naming_after(client: Client, session: Session) -> None:
    ow = make_outcome_world(session)
    headers = ow.officer.headers
    client.post("/me/tokens", json={"label": "toinen"}, headers=headers)
    tokens_cursor = client.get("/me/tokens", params={"limit": 1}, headers=headers).headers["x-next-cursor"]
    for bad in (
        "not-a-cursor",
        "%%%",
        tokens_cursor,  # another list's cursor
        _cursor("referrals", "2026-01-01T00:00:00", "7f8c0b6e-3c1e-4a4e-9a43-0d1c5f0f6b3a"),  # no zone
        _cursor("referrals", "2026-01-01T00:00:00+00:00", "not-a-uuid"),
        _cursor("referrals", "2026-01-01T00:00:00+00:00"),  # a key too short
        _cursor("referrals", 5, 6),
        "A" * 600,
    ):
        response = client.get("/referrals", params={"after": bad}, headers=headers)
        assert response.status_code == 422, (bad, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == ["after"]


def test_page_size_is_bounded(client: Client, session: Session) -> None:
    ow = make_outcome_world(session)
    for limit in ("0", str(MAX_LIMIT + 1), "ten"):
        response = client.get("/referrals", params={"limit": limit}, headers=ow.officer.headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == ["limit"]
    assert (
        client.get("/referrals", params={"limit": MAX_LIMIT}, headers=ow.officer.headers).status_code == 200
    )
