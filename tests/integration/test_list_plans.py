"""Each hot list's index, justified by the planner (ADR 0019, decision 2).

A registry of national shape is loaded into the test's transaction: the rows of a real world (made by
the product's services) copied thousands of times, part into 44 other authorities' and 299 other
suppliers' scopes, then ANALYZE. The lists are requested through the HTTP surface; every statement they
send is recorded at the driver (so the hot paths that skip SQLAlchemy are seen too) and EXPLAINed with
its own parameters. Each list must read its named index, with no Sort above it: the keyset order is the
index order, so a page is one index range whatever the table holds. With an index dropped the check
fails (shown at the end of the test). Everything is rolled back with the test.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Connection, text
from sqlmodel import Session

from minicompetition.tender.models import Invitation
from outcomes.tracking import queues
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.api.test_periods import _closed, world
from tests.factories.payments import PayWorld

Client = TestClient[Litestar]
COPIES = {"*": 4_000, "payment_line": 10_000}  # of each row of the world: 4–50 thousand rows a table
# Half the copies stay in the world's authority and one in eight with its supplier, so their lists hold
# thousands of rows (a big authority's month or two; a page is a few per cent of them); the others
# spread over 44 authorities and 299 suppliers. With a few hundred rows the planner rightly reads them
# all and sorts; with most of a table in one list it rightly walks the primary key.
AUTHORITIES, SUPPLIERS = 45, 300


@dataclass(frozen=True)
class Case:
    path: str
    who: str  # officer | supplier | public
    index: str
    params: tuple[tuple[str, str], ...] = ()


CASES = [
    Case("/referrals", "officer", "referral_authority_order"),
    Case("/referrals", "officer", "referral_authority_state_order", (("state", "started"),)),
    Case("/referrals", "supplier", "referral_supplier_order"),
    Case("/outcome-events", "officer", "outcome_event_authority_order"),
    Case("/outcome-events", "supplier", "outcome_event_supplier_order"),
    Case("/payment-lines", "supplier", "payment_line_supplier"),
    Case("/competitions", "public", "competition_order"),
    Case("/contracts", "officer", "contract_authority_order"),
    Case("/inbox", "supplier", "invitation_inbox"),
]

# Column → the copy's value (SQL over the source row `src` and the copy's number `g`). New ids and
# the columns of unique rules keep every copy distinct; scopes move to other authorities and suppliers.
_AUTHORITY = f"CASE WHEN g % 2 = 0 THEN src.authority_id ELSE md5('a' || g % {AUTHORITIES - 1})::uuid END"


def _supplier(every: int) -> str:
    return f"CASE WHEN g % {every} = 0 THEN src.supplier_id ELSE md5('s' || g % {SUPPLIERS - 1})::uuid END"


_SUPPLIER = _supplier(8)
CLONES: dict[str, dict[str, str]] = {
    "competition": {"id": "gen_random_uuid()", "created_at": "src.created_at - g * interval '7 minutes'"},
    "contract": {
        "id": "gen_random_uuid()",
        "authority_id": _AUTHORITY,
        "award_id": "gen_random_uuid()",  # the list shows each contract's supplier: it stays
        "concluded_at": "src.concluded_at - g * interval '7 minutes'",
    },
    "invitation": {
        "competition_id": "gen_random_uuid()",
        "supplier_id": _SUPPLIER,
        "invited_at": "src.invited_at - g * interval '7 minutes'",
    },
    "referral": {
        "id": "gen_random_uuid()",
        "participant_id": "gen_random_uuid()",
        # Three in four copies not started yet, so `?state=started` picks a quarter.
        "state": "CASE WHEN g % 4 = 0 THEN src.state ELSE 'referred' END",
        "started_on": "CASE WHEN g % 4 = 0 THEN src.started_on END",
        "authority_id": _AUTHORITY,
        "supplier_id": _SUPPLIER,
        "referred_at": "src.referred_at - g * interval '7 minutes'",
    },
    "outcome_event": {
        "id": "gen_random_uuid()",
        "episode_id": "left(md5(src.episode_id || g), 32)",  # the list shows each event's referral
        "authority_id": _AUTHORITY,
        "supplier_id": _SUPPLIER,
        "recorded_at": "src.recorded_at - g * interval '7 minutes'",
    },
    # A supplier's lines are in the table's own order (id): with an eighth of the table the planner may
    # as well walk the primary key and skip the others; at a national share (1 in 3 000) it never would.
    "payment_line": {
        "id": "nextval(pg_get_serial_sequence('payment_line', 'id'))",
        "supplier_id": _supplier(50),
        "outcome_key": "CASE WHEN src.outcome_key IS NULL THEN NULL ELSE md5(src.outcome_key || g) END",
        "line_key": "src.line_key || '-' || g",
    },
}


def _clone(session: Session, table: str, overrides: dict[str, str]) -> None:
    """Copies of every row of the table, with the overridden columns (rules off: see below)."""
    columns = session.execute(
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = :t"
            " AND table_schema = 'public' AND is_generated = 'NEVER' ORDER BY ordinal_position"
        ),
        {"t": table},
    ).scalars()
    names = list(columns)
    values = ", ".join(overrides.get(c, f"src.{c}") for c in names)
    copies = COPIES.get(table, COPIES["*"])
    session.execute(
        text(
            f"INSERT INTO {table} ({', '.join(names)}) OVERRIDING SYSTEM VALUE"
            f" SELECT {values} FROM (SELECT * FROM {table}) src, generate_series(1, {copies}) g"
        )
    )


@dataclass
class National:
    client: Client
    pw: PayWorld
    connection: Connection

    def headers(self, who: str) -> dict[str, str]:
        return {
            "officer": self.pw.officer.headers,
            "supplier": self.pw.ow.supplier_parties[0].headers,
            "public": {},
        }[who]


@pytest.fixture
def national(client: Client, session: Session, settings: Settings, connection: Connection) -> National:
    pw = world(session, settings)
    supplier = pw.ow.suppliers[0]
    session.add(
        Invitation(
            competition_id=pw.ow.awarded.competition.id,
            supplier_id=supplier.id,
            business_id=supplier.business_id,
            supplier_name=supplier.name,
            invited_at=utc_now(),
        )
    )
    session.flush()
    _closed(client, pw)  # the period's payment lines, by the product's close
    # The copies name authorities, suppliers and referrals that do not exist: the foreign keys are
    # switched off for this transaction only (the planner does not read them; nothing is committed).
    session.execute(text("SET LOCAL session_replication_role = replica"))
    for table, overrides in CLONES.items():
        _clone(session, table, overrides)
    session.execute(text("SET LOCAL session_replication_role = origin"))
    session.execute(text(f"ANALYZE {', '.join(CLONES)}"))
    return National(client, pw, connection)


class Recording(psycopg.Cursor[Any]):
    """A driver cursor that remembers each statement and its parameters."""

    seen: list[tuple[str, Any]] = []

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> "Recording":
        sql = (
            query
            if isinstance(query, str)
            else query.as_string(self.connection)
            if hasattr(query, "as_string")
            else bytes(query).decode()
        )
        Recording.seen.append((sql, params))
        super().execute(query, params, **kwargs)
        return self


@pytest.fixture
def recorded(connection: Connection) -> Iterator[list[tuple[str, Any]]]:
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    before = driver.cursor_factory
    Recording.seen = []
    driver.cursor_factory = Recording
    try:
        yield Recording.seen
    finally:
        driver.cursor_factory = before


def _plans(n: National, case: Case, seen: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The plans of every statement the list request sent."""
    response = n.client.get(case.path, params=dict(case.params), headers=n.headers(case.who))
    assert response.status_code == 200, response.text
    assert response.json(), f"{case.path} as {case.who} shows nothing"
    statements = [(sql, params) for sql, params in seen if sql.lstrip().upper().startswith("SELECT")]
    seen.clear()
    driver = n.connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    plans = []
    with psycopg.Cursor(driver) as cursor:
        for sql, params in statements:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            row = cursor.fetchone()
            assert row is not None
            plans.append(row[0][0]["Plan"])
    return plans


def _reads_index_unsorted(plan: dict[str, Any], index: str, *, sorted_above: bool = False) -> bool | None:
    """True: a node reads the index with no Sort above it; False: only under a Sort; None: not read."""
    sorted_here = sorted_above or plan["Node Type"] in ("Sort", "Incremental Sort")
    if plan.get("Index Name") == index:
        return not sorted_here
    found: bool | None = None
    for child in plan.get("Plans", []):
        below = _reads_index_unsorted(child, index, sorted_above=sorted_here)
        if below:
            return True
        found = below if found is None else found
    return found


def _verdict(plans: list[dict[str, Any]], index: str) -> bool | None:
    verdicts = [_reads_index_unsorted(p, index) for p in plans]
    return True if True in verdicts else (False if False in verdicts else None)


def test_each_hot_list_reads_its_index_in_order(
    national: National, recorded: list[tuple[str, Any]], session: Session
) -> None:
    verdicts = {case: _verdict(_plans(national, case, recorded), case.index) for case in CASES}
    assert [c for c, v in verdicts.items() if v is not True] == []
    # Without its index the same list is read another way (and sorted): the check notices.
    dropped = CASES[0]
    session.execute(text(f"DROP INDEX {dropped.index}"))  # rolled back with the test
    plans = _plans(national, dropped, recorded)
    assert _verdict(plans, dropped.index) is None
    assert any(_has_sort(p) for p in plans)


def _has_sort(plan: dict[str, Any]) -> bool:
    return plan["Node Type"] in ("Sort", "Incremental Sort") or any(
        _has_sort(c) for c in plan.get("Plans", [])
    )


def test_the_verification_queue_reads_only_the_undecided_events(
    national: National, recorded: list[tuple[str, Any]], session: Session
) -> None:
    # Three of the authority's thousands of events wait; the queue finds them from the partial index of
    # undecided events (no index names `state`: the close's updates stay HOT), oldest first, no Sort.
    waiting = session.execute(
        text(
            "UPDATE outcome_event SET state = 'reported', decided_at = NULL, decided_by = NULL WHERE id IN"
            " (SELECT e.id FROM outcome_event e JOIN referral r ON r.id = e.referral_id"
            "  AND r.authority_id = e.authority_id AND r.supplier_id = e.supplier_id"
            "  WHERE e.authority_id = :a ORDER BY e.recorded_at, e.id LIMIT 3) RETURNING id"
        ),
        {"a": national.pw.officer.caller.authority_id},
    ).scalars()
    expected = sorted(waiting, key=str)
    session.execute(text("ANALYZE outcome_event"))
    recorded.clear()
    queue = queues.awaiting_verification(session, caller=national.pw.officer.caller)
    assert sorted((e.event_id for e in queue), key=str) == expected and len(expected) == 3
    assert [e.recorded_at for e in queue] == sorted(e.recorded_at for e in queue)
    plans = _explain(national, _first_select(recorded))
    assert _verdict(plans, "outcome_event_awaiting") is True
    # The partial index holds only the undecided: the authority's decided thousands are not in it.
    held = session.execute(
        text("SELECT count(*) FROM outcome_event WHERE decided_at IS NULL AND authority_id = :a"),
        {"a": national.pw.officer.caller.authority_id},
    ).scalar_one()
    assert held == 3
    recorded.clear()
    session.execute(text("DROP INDEX outcome_event_awaiting"))  # rolled back with the test
    queues.awaiting_verification(session, caller=national.pw.officer.caller)
    plans = _explain(national, _first_select(recorded))
    assert _verdict(plans, "outcome_event_awaiting") is None


def test_the_verified_events_read_only_the_events_awaiting_payment(
    national: National, recorded: list[tuple[str, Any]], session: Session
) -> None:
    # Years of paid events and three verified ones waiting for the close: `?state=verified` finds them
    # from the partial index of verified and payable events (its predicate reads `awaiting_payment`, not
    # `state`: the close's verified → payable stays HOT), oldest first, no Sort.
    authority = national.pw.officer.caller.authority_id
    session.execute(text("SET LOCAL session_replication_role = replica"))  # the copies' keys: see above
    session.execute(text("UPDATE outcome_event SET state = 'paid' WHERE state IN ('verified', 'payable')"))
    waiting = session.execute(
        text(
            "UPDATE outcome_event SET state = 'verified' WHERE id IN (SELECT e.id FROM outcome_event e"
            "  JOIN referral r ON r.id = e.referral_id AND r.authority_id = e.authority_id"
            "  WHERE e.authority_id = :a ORDER BY e.recorded_at DESC, e.id LIMIT 3) RETURNING id"
        ),
        {"a": authority},
    ).scalars()
    expected = sorted(str(i) for i in waiting)
    session.execute(text("SET LOCAL session_replication_role = origin"))
    session.execute(text("ANALYZE outcome_event"))
    case = Case("/outcome-events", "officer", "outcome_event_awaiting_payment", (("state", "verified"),))
    recorded.clear()
    response = national.client.get(case.path, params=dict(case.params), headers=national.headers("officer"))
    assert sorted(e["id"] for e in response.json()) == expected and len(expected) == 3
    recorded.clear()
    assert _verdict(_plans(national, case, recorded), case.index) is True
    held = session.execute(
        text("SELECT count(*) FROM outcome_event WHERE awaiting_payment AND authority_id = :a"),
        {"a": authority},
    ).scalar_one()
    all_events = session.execute(
        text("SELECT count(*) FROM outcome_event WHERE authority_id = :a"), {"a": authority}
    ).scalar_one()
    assert (held, all_events > 5_000) == (3, True)
    # Without the index the same list is read another way: the check notices.
    recorded.clear()
    session.execute(text(f"DROP INDEX {case.index}"))  # rolled back with the test
    plans = _plans(national, case, recorded)
    assert _verdict(plans, case.index) is None


def _explain(n: National, statements: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    driver = n.connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    plans = []
    with psycopg.Cursor(driver) as cursor:
        for sql, params in statements:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            row = cursor.fetchone()
            assert row is not None
            plans.append(row[0][0]["Plan"])
    return plans


def _first_select(seen: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [s for s in seen if s[0].lstrip().upper().startswith("SELECT")][:1]


def _relations(plan: dict[str, Any]) -> set[str]:
    found = {plan["Relation Name"]} if "Relation Name" in plan else set()
    return found.union(*(_relations(c) for c in plan.get("Plans", [])))


def _index_reads(plan: dict[str, Any]) -> set[tuple[str, str]]:
    found = {(plan["Node Type"], plan["Index Name"])} if "Index Name" in plan else set()
    return found.union(*(_index_reads(c) for c in plan.get("Plans", [])))


def test_the_authoritys_flow_through_reads_its_starts_index_and_no_event(
    national: National, recorded: list[tuple[str, Any]], session: Session
) -> None:
    # Each start's first step is kept on the referral (migration 0025): the live report is one range of
    # the authority's starts in the covering index, with no probe into outcome_event. Half the copies are
    # the world's authority's (for the lists above); a national authority holds one in 45 of the starts.
    session.execute(text("SET LOCAL session_replication_role = replica"))
    session.execute(
        text(
            f"UPDATE referral SET authority_id = md5('a' || (random() * {AUTHORITIES - 2})::int)::uuid"
            " WHERE authority_id = :a AND random() < 0.95"
        ),
        {"a": national.pw.officer.caller.authority_id},
    )
    session.execute(text("SET LOCAL session_replication_role = origin"))
    session.execute(text("ANALYZE referral"))

    def report_plan() -> dict[str, Any]:
        recorded.clear()
        response = national.client.get("/reports/flow-through", headers=national.headers("officer"))
        assert response.status_code == 200, response.text
        assert sum(c["starts"] for c in response.json()["cells"]) > 50  # copies among them
        statements = [s for s in recorded if "WITH starts AS" in s[0]]
        assert len(statements) == 1
        (plan,) = _explain(national, statements)
        return plan

    # Index Only Scan once VACUUM has marked the pages all-visible (the migration runs it; this test's
    # copies are uncommitted, so the planner here reads the same index through a bitmap).
    plan = report_plan()
    scans = {node for node, index in _index_reads(plan) if index == "referral_authority_starts"}
    assert scans and scans <= {"Index Only Scan", "Index Scan", "Bitmap Index Scan"}, _index_reads(plan)
    assert _relations(plan) == {"referral"}
    session.execute(text("DROP INDEX referral_authority_starts"))  # rolled back with the test
    without = report_plan()
    assert all(index != "referral_authority_starts" for _, index in _index_reads(without))
    assert _relations(without) == {"referral"}  # the events stay unread: the first step is on the row
