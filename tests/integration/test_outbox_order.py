"""The outbox in commit order: a cursor reader never skips a row when transactions commit out of order."""

from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from procurement.core import outbox
from tests.conftest import libpq_uri

AT = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def _emit_raw(conn: psycopg.Connection, kind: str, subject_id: str) -> None:
    """Write one outbox row the way `outbox.emit` does (the same server default gives the txid)."""
    conn.execute(
        "INSERT INTO outbox_event (event_id, kind, subject_type, subject_id, at, public, data)"
        " VALUES (gen_random_uuid(), %s, 'competition', %s, %s, true, '{}')",
        (kind, subject_id, AT),
    )


def _read_all(url: str, after: outbox.Cursor) -> list[outbox.Event]:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return outbox.read_after(session, after, limit=100)
    finally:
        engine.dispose()


def _plain_id_reader(url: str, after_id: int) -> list[int]:
    """The naive reader this design replaces: by id alone, as if ids were handed out in commit order."""
    with psycopg.connect(libpq_uri(url)) as conn:
        return [
            r[0] for r in conn.execute("SELECT id FROM outbox_event WHERE id > %s ORDER BY id", (after_id,))
        ]


def test_a_cursor_never_skips_an_earlier_transaction_that_commits_later(scratch_database_url: str) -> None:
    url = scratch_database_url
    early = psycopg.connect(libpq_uri(url))
    late = psycopg.connect(libpq_uri(url))
    try:
        _emit_raw(early, "competition.published", "early")  # starts first: smaller txid and id
        _emit_raw(late, "competition.amended", "late")
        late.commit()  # ...but the later one commits first

        first_page = _read_all(url, outbox.Cursor())
        # The committed row is held back while the earlier transaction may still commit below it.
        assert first_page == []
        naive = _plain_id_reader(url, 0)
        assert len(naive) == 1  # the id reader sees "late" now and would move its cursor past "early"

        early.commit()
        second_page = _read_all(url, outbox.Cursor())
        assert [e.subject_id for e in second_page] == ["early", "late"]
        # Polling from a cursor taken at any moment returns every row exactly once, in commit order.
        cursor = second_page[0].cursor
        assert [e.subject_id for e in _read_all(url, cursor)] == ["late"]
        assert _read_all(url, second_page[1].cursor) == []
        # The naive reader's cursor (the id of "late") had already passed "early": it would never see it.
        assert _plain_id_reader(url, naive[0]) == []
        assert min(e.id for e in second_page) < naive[0]
    finally:
        early.close()
        late.close()


def test_a_rolled_back_transaction_leaves_no_row_and_blocks_nothing(scratch_database_url: str) -> None:
    url = scratch_database_url
    aborted = psycopg.connect(libpq_uri(url))
    kept = psycopg.connect(libpq_uri(url))
    try:
        _emit_raw(aborted, "competition.published", "aborted")
        _emit_raw(kept, "competition.published", "kept")
        kept.commit()
        aborted.rollback()
        assert [e.subject_id for e in _read_all(url, outbox.Cursor())] == ["kept"]
    finally:
        aborted.close()
        kept.close()


def test_emit_writes_in_the_callers_transaction_and_dedup_keys_write_once(session: Session) -> None:
    first = outbox.emit(
        session,
        "competition.deadline_reminder",
        subject=("competition", "c1"),
        at=AT,
        data={"days": 3},
        dedup_key="reminder:c1:3",
    )
    again = outbox.emit(
        session,
        "competition.deadline_reminder",
        subject=("competition", "c1"),
        at=AT,
        data={"days": 3},
        dedup_key="reminder:c1:3",
    )
    assert isinstance(first, int)
    assert again is None
    rows = outbox.read_after(session, outbox.Cursor(), limit=10)
    mine = [e for e in rows if e.subject_id == "c1"]
    assert [(e.kind, e.public, e.data) for e in mine] == [
        ("competition.deadline_reminder", False, {"days": 3})
    ]
    with pytest.raises(KeyError):
        outbox.emit(session, "competition.no_such_kind", subject=("competition", "c1"), at=AT)


def test_outbox_rows_are_append_only(session: Session) -> None:
    outbox.emit(session, "competition.published", subject=("competition", "c2"), at=AT)
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE outbox_event SET kind = 'x' WHERE subject_id = 'c2'"))


@pytest.mark.parametrize("value", ["", "1-2", "812-40"])
def test_cursors_print_and_parse_back(value: str) -> None:
    assert str(outbox.Cursor.parse(value)) == (value or "0-0")


@pytest.mark.parametrize("value", ["abc", "1", "-1-2", "1-x", "9" * 50 + "-1"])
def test_malformed_cursors_are_refused(value: str) -> None:
    from procurement.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        outbox.Cursor.parse(value)
