"""No N+1: a list request runs as many SQL statements for 50 rows as for one (each related set is read once
per page, never once per row). Statements are counted on the engine while the real HTTP request runs."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from minicompetition.tender.models import Invitation
from outcomes.payments.models import PaymentPeriod
from procurement.core.clock import helsinki_today, utc_now
from procurement.core.settings import Settings
from procurement.ring.models import Dps
from tests.factories.core import make_authority
from tests.factories.outcomes import make_awarded, make_contract, run_referral
from tests.factories.payments import PayWorld, make_pay_world
from tests.factories.registry import admit, business_id, make_supplier

Client = TestClient[Litestar]
TODAY = helsinki_today(utc_now())
TODAY_FROM_CLOCK = True  # conftest sets TODAY again at each test's start


@dataclass
class World:
    session: Session
    settings: Settings
    client: Client
    pw: PayWorld


@dataclass(frozen=True)
class ListRoute:
    path: Callable[[World], str]
    who: str  # officer | finance | supplier | public
    add: Callable[[World, int], None]  # adds the n-th row the list shows


def _referral(w: World, n: int, *, started: bool = False) -> None:
    run_referral(
        w.session,
        w.pw.ow,
        settings=w.settings,
        n=n,
        supplier=n % 2,
        referred=TODAY - timedelta(days=90),
        started=TODAY - timedelta(days=80) if started else None,
        today=TODAY,
    )


def _admitted(w: World, n: int) -> None:
    supplier, _ = make_supplier(w.session, business_id=business_id(700 + n), name=f"Toimija {n:02d} Oy")
    admit(w.session, dps=w.pw.ow.world.dps, supplier=supplier, categories=("EMPLOYMENT", "INCLUSION"))


def _contract(w: World, n: int) -> None:
    supplier, _ = make_supplier(w.session, business_id=business_id(800 + n))
    make_contract(w.session, awarded=w.pw.ow.awarded, supplier=supplier)


def _competition(w: World, n: int) -> None:
    make_awarded(w.session, world=w.pw.ow.world, created_by=w.pw.officer.caller.id)


def _invitation(w: World, n: int) -> None:
    awarded = make_awarded(w.session, world=w.pw.ow.world, created_by=w.pw.officer.caller.id)
    supplier = w.pw.ow.suppliers[0]
    w.session.add(
        Invitation(
            competition_id=awarded.competition.id,
            supplier_id=supplier.id,
            business_id=supplier.business_id,
            supplier_name=supplier.name,
            invited_at=utc_now(),
        )
    )
    w.session.flush()


def _period(w: World, n: int) -> None:
    month = f"{2000 + n // 12}-{n % 12 + 1:02d}"
    w.session.add(
        PaymentPeriod(
            authority_id=w.pw.ow.world.lead_id, month=month, created_at=utc_now(), created_by="test"
        )
    )
    w.session.flush()


def _authority(w: World, n: int) -> None:
    make_authority(w.session, name=f"Kunta {n:02d}")


def _dps(w: World, n: int) -> None:
    now = utc_now()
    w.session.add(
        Dps(
            ring_id=w.pw.ow.world.ring.id,
            title=f"DPS {n}",
            valid_from=TODAY - timedelta(days=n),
            valid_until=TODAY + timedelta(days=365),
            state="published",
            created_by=w.pw.officer.caller.id,
            created_at=now,
            published_at=now,
        )
    )
    w.session.flush()


def _token(w: World, n: int) -> None:
    made = w.client.post("/me/tokens", json={"label": f"kone {n}"}, headers=w.pw.officer.headers)
    assert made.status_code == 201, made.text


ROUTES = {
    "/referrals": ListRoute(lambda w: "/referrals", "officer", _referral),
    "/outcome-events": ListRoute(
        lambda w: "/outcome-events", "officer", lambda w, n: _referral(w, n, started=True)
    ),
    "/applications": ListRoute(lambda w: "/applications", "officer", _admitted),
    "/dps/{dps_id}/admissions": ListRoute(
        lambda w: f"/dps/{w.pw.ow.world.dps.id}/admissions", "officer", _admitted
    ),
    "/contracts": ListRoute(lambda w: "/contracts", "officer", _contract),
    "/competitions": ListRoute(lambda w: "/competitions", "public", _competition),
    "/inbox": ListRoute(lambda w: "/inbox", "supplier", _invitation),
    "/periods": ListRoute(lambda w: "/periods", "finance", _period),
    "/authorities": ListRoute(lambda w: "/authorities", "public", _authority),
    "/dps": ListRoute(lambda w: "/dps", "public", _dps),
    "/me/tokens": ListRoute(lambda w: "/me/tokens", "officer", _token),
}


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs while the test holds the list."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def _headers(w: World, who: str) -> dict[str, str]:
    return {
        "officer": w.pw.officer.headers,
        "finance": w.pw.finance.headers,
        "supplier": w.pw.ow.supplier_parties[0].headers,
        "public": {},
    }[who]


def _count(w: World, route: ListRoute, statements: list[str]) -> tuple[int, int]:
    """Rows and statements of one warm request (the token is cached by the first)."""
    headers = _headers(w, route.who)
    assert w.client.get(route.path(w), headers=headers).status_code == 200
    statements.clear()
    response = w.client.get(route.path(w), headers=headers)
    assert response.status_code == 200, response.text
    return len(response.json()), len(statements)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_statements_do_not_grow_with_rows(
    name: str, client: Client, session: Session, settings: Settings, statements: list[str]
) -> None:
    route = ROUTES[name]
    w = World(
        session=session, settings=settings, client=client, pw=make_pay_world(session, settings=settings)
    )
    route.add(w, 0)
    rows_one, one = _count(w, route, statements)
    for n in range(1, 50):
        route.add(w, n)
    rows_many, many = _count(w, route, statements)
    assert rows_many - rows_one >= 49, (rows_one, rows_many)
    assert one >= 1  # the listener sees the request's statements
    assert many == one, f"{name}: {one} statements for {rows_one} rows, {many} for {rows_many}"
