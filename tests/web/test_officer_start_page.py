"""The officer's start page reads bounded: the verification queue, a page of active contracts, and
flow-through on a page of its own."""

import re
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from outcomes.tracking import events
from outcomes.tracking.schemas import VerifyIn
from procurement.app.web import routes_officer
from procurement.core.settings import Settings
from tests.factories.outcomes import at
from tests.factories.payments import make_pay_world, months_ago, outcome, person, start
from tests.web.helpers import sign_in

Client = TestClient[Litestar]
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


def test_a_reported_event_waits_on_the_start_page_until_it_is_verified(
    client: Client, session: Session, settings: Settings
) -> None:
    pw = make_pay_world(session, settings=settings)
    day = months_ago(2).first_day
    referral, _ = start(session, pw, participant_id=person(session, pw, n=1, on=day), on=day)
    waiting = outcome(
        session,
        pw,
        referral_id=referral,
        event_type="employment_start",
        on=day + timedelta(days=5),
        verify=False,
    )
    sign_in(client, pw.officer.token)
    assert client.get("/ui/officer").text.count(f'href="/ui/referrals/{referral}#event-{waiting}"') == 1
    events.verify(session, caller=pw.officer.caller, event_id=waiting, data=VerifyIn(), now=at(day))
    assert f"#event-{waiting}" not in client.get("/ui/officer").text


def test_the_active_contracts_are_walked_a_page_at_a_time(
    client: Client, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    pw = make_pay_world(session, settings=settings)
    monkeypatch.setattr(routes_officer, "START_PAGE_ROWS", 1)
    names = {pw.contract(n).id: pw.ow.suppliers[n].name for n in range(2)}
    assert len(names) == 2
    sign_in(client, pw.officer.token)
    seen, path = [], "/ui/officer"
    for _ in range(5):
        page = client.get(path).text
        section = page[page.index('aria-labelledby="contracts-h"') :]
        shown = [name for name in names.values() if f'<th scope="row">{name}</th>' in section]
        assert len(shown) == 1  # one page of START_PAGE_ROWS, not every active contract
        seen += shown
        found = NEXT.search(section)
        if found is None:
            break
        path = found.group(1).replace("&amp;", "&")
        assert path.startswith("/ui/officer?contracts=")
    assert sorted(seen) == sorted(names.values())


def test_flow_through_is_on_its_own_page_linked_from_the_start_page(
    client: Client, session: Session, settings: Settings
) -> None:
    pw = make_pay_world(session, settings=settings)
    day = months_ago(6).first_day
    referral, _ = start(session, pw, participant_id=person(session, pw, n=2, on=day), on=day)
    outcome(session, pw, referral_id=referral, event_type="employment_start", on=day + timedelta(days=20))
    sign_in(client, pw.officer.token)
    start_page = client.get("/ui/officer").text
    assert 'href="/ui/officer/flow-through"' in start_page and 'id="ft-total"' not in start_page
    report = client.get("/ui/officer/flow-through")
    assert report.status_code == 200
    total = re.search(r'<strong id="ft-total">([^<]+)</strong>', report.text)
    assert total is not None and total.group(1).startswith("100")  # one matured start, with its step
    assert 'src="/ui/officer/flow-through.png"' in report.text
