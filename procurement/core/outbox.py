"""The outbox: events written in the transaction of their change, read in commit order with a cursor.

Each row keeps the id of the transaction that wrote it (`txid`). A reader sees only rows whose
transaction is older than the oldest one still running (`pg_snapshot_xmin`), ordered by (txid, id):
a transaction that started earlier but commits later can therefore never appear behind a cursor that
has already passed it. The price is that one long write transaction holds the whole feed back while
it runs (at most the statement timeout). See docs/decisions/0013-outbox-and-open-data.md.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.canonical import jsonable
from procurement.core.db import driver_connection
from procurement.core.errors import InvalidInput
from procurement.core.event_kinds import KINDS

CHANNEL = "dpr_outbox"

_INSERT = """
WITH e AS (
    INSERT INTO outbox_event (event_id, kind, subject_type, subject_id, at, public, dedup_key, data)
    VALUES (%(event_id)s, %(kind)s, %(st)s, %(si)s, %(at)s, %(public)s, %(dedup)s, CAST(%(data)s AS jsonb))
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id
)
SELECT id, pg_notify('dpr_outbox', '') FROM e
"""


# Rows of finished transactions only; a transaction also sees the rows it wrote itself (tests share one
# transaction with the app; a reader that writes no events is unaffected).
def _visible(column: str = "txid") -> str:
    return (
        f"({column} < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint"
        f" OR {column} = (pg_current_xact_id_if_assigned()::text)::bigint)"
    )


VISIBLE = _visible()

_COLUMNS = "id, txid, event_id, kind, subject_type, subject_id, at, public, data"


@dataclass(frozen=True, order=True)
class Cursor:
    """A position in the outbox: after the row (txid, event)."""

    txid: int = 0
    event: int = 0

    def __str__(self) -> str:
        return f"{self.txid}-{self.event}"

    @classmethod
    def parse(cls, value: str | None, *, field: str = "after") -> "Cursor":
        """Read a cursor as the feed printed it; an empty one starts at the beginning."""
        if not value:
            return cls()
        txid, sep, event = value.partition("-")
        if not sep or not txid.isdigit() or not event.isdigit() or len(value) > 41:
            raise InvalidInput(
                "A cursor is the 'next' value a previous page gave, e.g. '812-40'.", field=field
            )
        return cls(int(txid), int(event))


@dataclass(frozen=True)
class Event:
    """One outbox row as readers see it."""

    id: int
    txid: int
    event_id: uuid.UUID
    kind: str
    subject_type: str
    subject_id: str
    at: datetime
    public: bool
    data: dict[str, Any]

    @property
    def cursor(self) -> Cursor:
        """The cursor just after this event."""
        return Cursor(self.txid, self.id)


def emit(
    session: Session,
    kind: str,
    *,
    subject: tuple[str, Any],
    at: datetime,
    data: Any = None,
    dedup_key: str | None = None,
) -> int | None:
    """Write an event in the caller's transaction; returns its row id (None: the dedup key existed)."""
    known = KINDS[kind]  # an unknown kind is a programming error, caught by any test of the change
    body = msgspec.to_builtins(data) if isinstance(data, msgspec.Struct) else data
    with driver_connection(session).cursor() as cursor:
        cursor.execute(
            _INSERT,
            {
                "event_id": uuid.uuid4(),
                "kind": kind,
                "st": subject[0],
                "si": str(subject[1]),
                "at": at,
                "public": known.public,
                "dedup": dedup_key,
                "data": json.dumps(jsonable(body or {})),
            },
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def read_after(session: Session, after: Cursor, *, limit: int, public_only: bool = False) -> list[Event]:
    """Events after the cursor in commit order, at most `limit`, only from finished transactions."""
    where = "(txid, id) > (:txid, :id) AND " + VISIBLE + (" AND public" if public_only else "")
    rows = session.execute(
        text(f"SELECT {_COLUMNS} FROM outbox_event WHERE {where} ORDER BY txid, id LIMIT :n"),  # noqa: S608
        {"txid": after.txid, "id": after.event, "n": limit},
    ).all()
    return [Event(*row) for row in rows]


def events_of(session: Session, *, subject: tuple[str, Any], upto: Cursor) -> list[Event]:
    """The events of one subject up to and including a position, in commit order."""
    rows = session.execute(
        text(
            f"SELECT {_COLUMNS} FROM outbox_event WHERE subject_type = :t AND subject_id = :i"  # noqa: S608
            " AND (txid, id) <= (:txid, :id) ORDER BY txid, id"
        ),
        {"t": subject[0], "i": str(subject[1]), "txid": upto.txid, "id": upto.event},
    ).all()
    return [Event(*row) for row in rows]


def position(session: Session, consumer: str, *, lock: bool = False) -> Cursor:
    """Where a consumer stands (created at the start on first use); `lock` holds it for the transaction."""
    session.execute(
        text(
            "INSERT INTO outbox_consumer (name, txid, event, updated_at) VALUES (:n, 0, 0, now())"
            " ON CONFLICT (name) DO NOTHING"
        ),
        {"n": consumer},
    )
    suffix = " FOR UPDATE" if lock else ""
    txid, event = session.execute(
        text(f"SELECT txid, event FROM outbox_consumer WHERE name = :n{suffix}"),  # noqa: S608
        {"n": consumer},
    ).one()
    return Cursor(int(txid), int(event))


def advance(session: Session, consumer: str, to: Cursor) -> None:
    """Move a consumer's position forward (never back) in the caller's transaction."""
    session.execute(
        text(
            "UPDATE outbox_consumer SET txid = :txid, event = :id, updated_at = now()"
            " WHERE name = :n AND (txid, event) < (:txid, :id)"
        ),
        {"n": consumer, "txid": to.txid, "id": to.event},
    )


@dataclass(frozen=True)
class Backlog:
    """How far each consumer lags behind the outbox."""

    newest: Cursor
    behind: dict[str, int]


def backlog(session: Session) -> Backlog:
    """Events each consumer has not yet handled (visible rows after its position)."""
    newest = session.execute(
        text(f"SELECT txid, id FROM outbox_event WHERE {VISIBLE} ORDER BY txid DESC, id DESC LIMIT 1")  # noqa: S608
    ).first()
    behind = {
        name: int(count)
        for name, count in session.execute(
            text(
                "SELECT c.name, count(e.id) FROM outbox_consumer c LEFT JOIN outbox_event e"  # noqa: S608
                f" ON (e.txid, e.id) > (c.txid, c.event) AND {_visible('e.txid')}"
                " GROUP BY c.name ORDER BY c.name"
            )
        ).all()
    }
    return Backlog(newest=Cursor(*newest) if newest else Cursor(), behind=behind)
