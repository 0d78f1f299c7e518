"""Lists longer than a page are walked to their end by the pages' "Next page" links (Seuraava sivu).

Each walk follows the links as a browser would, collects the rows each page shows and checks that every
row of the list is shown exactly once, 50 a page, with the filters kept in every link, while new rows
arrive in the middle of the walk.
"""

import html
import re
import uuid
from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from outcomes.payments.models import PaymentPeriod
from procurement.core.clock import helsinki_today, utc_now
from procurement.core.settings import Settings
from tests.factories.outcomes import run_referral
from tests.factories.payments import PayWorld, make_pay_world
from tests.factories.registry import business_id, make_ring_world, make_supplier
from tests.web.helpers import sign_in
from tests.web.test_officer_and_finance_pages import _application

Client = TestClient[Litestar]
NEXT = re.compile(r'<a href="([^"]+)" rel="next">Seuraava sivu</a>')


def _walk(client: Client, first: str, row: re.Pattern[str]) -> tuple[list[str], list[str]]:
    """The rows of every page from `first` on, in order, and the addresses walked."""
    seen: list[str] = []
    walked = [first]
    address: str | None = first
    while address is not None:
        page = client.get(address)
        assert page.status_code == 200, page.text
        rows = row.findall(page.text)
        assert len(rows) <= 50
        seen += rows
        found = NEXT.search(page.text)
        address = html.unescape(found.group(1)) if found else None
        if address is not None:
            assert len(rows) == 50, (address, len(rows))  # only the last page is short
            walked.append(address)
        assert len(walked) < 20, "the walk does not end"
    return seen, walked


def _period(session: Session, pw: PayWorld, month: str) -> uuid.UUID:
    period = PaymentPeriod(
        authority_id=pw.ow.world.lead_id, month=month, created_at=utc_now(), created_by="test"
    )
    session.add(period)
    session.flush()
    return period.id


def test_the_payment_periods_are_walked_to_the_end(
    client: Client, session: Session, settings: Settings
) -> None:
    pw = make_pay_world(session, settings=settings)
    months = [f"{2010 + n // 12}-{n % 12 + 1:02d}" for n in range(120)]  # ten years
    id_of = {m: str(_period(session, pw, m)) for m in months}
    sign_in(client, pw.finance.token)
    row = re.compile(r'href="/ui/finance/periods/([0-9a-f-]{36})"')
    first = client.get("/ui/finance").text
    found = NEXT.search(first)
    assert found is not None
    # A period opened while the list is being read shifts nothing: newest month first, it belongs
    # before the page already read, and the walk goes on from its cursor, not from a row count.
    _period(session, pw, "2099-12")
    rest, walked = _walk(client, html.unescape(found.group(1)), row)
    seen = row.findall(first) + rest
    assert seen == [id_of[m] for m in sorted(months, reverse=True)]  # each once, newest first
    assert len(walked) == 2  # after the first 50: 50 and 20
    assert "2099-12" in client.get("/ui/finance").text
    last = client.get(walked[-1]).text
    assert "Ensimmäinen sivu" in last and "Seuraava sivu" not in last


def test_the_referrals_are_walked_with_the_filters_kept(
    client: Client, session: Session, settings: Settings
) -> None:
    pw = make_pay_world(session, settings=settings, volumes={"LAHTI": 200})
    today = helsinki_today(utc_now())
    for n in range(130):
        run_referral(
            session,
            pw.ow,
            settings=settings,
            n=n,
            supplier=n % 2,
            referred=today - timedelta(days=200 - n),
            started=today - timedelta(days=199 - n) if n % 3 else None,
            today=today,
        )
    sign_in(client, pw.officer.token)
    row = re.compile(r'href="/ui/referrals/([0-9a-f-]{36})"')
    supplier = pw.ow.suppliers[1].id
    everything, _ = _walk(client, "/ui/referrals", row)
    started, walked = _walk(client, f"/ui/referrals?state=started&supplier={supplier}", row)

    def ids(where: str) -> list[str]:
        return [
            str(i)
            for i in session.execute(
                text(f"SELECT id FROM referral WHERE authority_id = :a {where} ORDER BY referred_at, id"),
                {"a": pw.ow.world.lead_id, "s": supplier},
            ).scalars()
        ]

    assert everything == ids("")  # in the list's order, each once
    assert len(everything) == 130
    assert started == ids("AND state = 'started' AND supplier_id = :s")
    assert len(started) == 43
    assert len(walked) == 1  # 43 rows: one page
    filtered_walk, pages = _walk(client, "/ui/referrals?state=started", row)
    assert filtered_walk == ids("AND state = 'started'") and len(pages) == 2
    assert all("state=started" in p for p in pages)


def test_the_start_page_shows_the_head_of_the_queue_and_its_link_goes_on_in_the_queue(
    client: Client, session: Session
) -> None:
    world = make_ring_world(session)
    tokens = [make_supplier(session, business_id=business_id(900 + n))[1] for n in range(62)]
    made = {_application(client, str(world.dps.id), token) for token in tokens}
    sign_in(client, world.lead_officer)
    start = client.get("/ui/officer").text
    head = re.findall(r'href="/ui/applications#app-([0-9a-f-]{36})"', start)
    assert len(head) == 10
    found = NEXT.search(start)
    assert found is not None and html.unescape(found.group(1)).startswith("/ui/applications?after=")
    rest, walked = _walk(
        client, html.unescape(found.group(1)), re.compile(r'aria-labelledby="app-([0-9a-f-]{36})"')
    )
    assert len(walked) == 2  # 50 and 2
    queue = [
        str(i)
        for i in session.execute(
            text(
                "SELECT id FROM application WHERE state IN ('submitted', 'extended')"
                " ORDER BY due_on, received_at, id"
            )
        ).scalars()
    ]
    assert head + rest == queue and set(queue) == made
