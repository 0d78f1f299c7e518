"""Append-only audit: one hash chain per aggregate, plus anchor records that chain all heads."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from procurement.core.canonical import canonical_json, jsonable, sha256_hex
from procurement.core.db import driver_connection
from procurement.core.models import AuditHead, AuditRecord

GENESIS = "0" * 64
ANCHOR = ("anchor", "heads")


def record_hash(
    *,
    prev_hash: str,
    aggregate_type: str,
    aggregate_id: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    before: Any,
    after: Any,
) -> str:
    """The hash of one record: its fields and the previous record's hash, canonically spelled."""
    body = {
        "prev": prev_hash,
        "type": aggregate_type,
        "id": aggregate_id,
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "before": before,
        "after": after,
    }
    return sha256_hex(canonical_json(body))


_LOCK_HEAD = """
INSERT INTO audit_head (aggregate_type, aggregate_id, seq, hash)
VALUES (%(t)s, %(i)s, 0, %(genesis)s)
ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET seq = audit_head.seq
RETURNING seq, hash
"""


_APPEND = """
WITH appended AS (
    INSERT INTO audit_record
        (aggregate_type, aggregate_id, seq, at, actor, action, before, after, prev_hash, hash)
    VALUES (%(t)s, %(i)s, %(seq)s, %(at)s, %(actor)s, %(action)s,
            CAST(%(before)s AS jsonb), CAST(%(after)s AS jsonb), %(prev)s, %(hash)s)
    RETURNING id
), moved AS (
    UPDATE audit_head SET seq = %(seq)s, hash = %(hash)s WHERE aggregate_type = %(t)s AND aggregate_id = %(i)s
)
SELECT id FROM appended
"""


def _one(session: Session, sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
    # Straight on the session's psycopg connection (its transaction): every audited change writes a
    # record, so it skips SQLAlchemy's statement layer (compiling, result wrapping) on the hot paths.
    session.flush()  # what the ORM holds is written first, as session.execute would have done
    with driver_connection(session).cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    assert row is not None  # noqa: S101 (both statements return one row)
    return tuple(row)


def record(
    session: Session,
    *,
    aggregate: tuple[str, Any],
    actor: str,
    action: str,
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append a record to the aggregate's chain inside the caller's transaction."""
    aggregate_type, aggregate_id = aggregate[0], str(aggregate[1])
    before_j, after_j = jsonable(before), jsonable(after)
    # The upsert locks only this aggregate's head row, so unrelated writes never wait on each other.
    seq, prev = _one(session, _LOCK_HEAD, {"t": aggregate_type, "i": aggregate_id, "genesis": GENESIS})
    seq += 1
    digest = record_hash(
        prev_hash=prev,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        before=before_j,
        after=after_j,
    )
    # One statement appends the record and moves the head (two round trips per record in all).
    (record_id,) = _one(
        session,
        _APPEND,
        {
            "t": aggregate_type,
            "i": aggregate_id,
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "before": None if before_j is None else json.dumps(before_j),
            "after": None if after_j is None else json.dumps(after_j),
            "prev": prev,
            "hash": digest,
        },
    )
    row = AuditRecord(
        id=record_id,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        before=before_j,
        after=after_j,
        prev_hash=prev,
        hash=digest,
    )
    return row


# The first record of a new aggregate's chain needs no head read (it follows GENESIS), so a statement
# that creates the aggregate can write its head and record too, one of each per row of that statement's
# CTE named `audited`. Parameters are those of `first_record_params`.
FIRST_RECORD_CTES = """
audit_head_row AS (
    INSERT INTO audit_head (aggregate_type, aggregate_id, seq, hash)
    SELECT %(audit_t)s, %(audit_i)s, 1, %(audit_hash)s FROM audited
), audit_row AS (
    INSERT INTO audit_record
        (aggregate_type, aggregate_id, seq, at, actor, action, before, after, prev_hash, hash)
    SELECT %(audit_t)s, %(audit_i)s, 1, %(audit_at)s, %(audit_actor)s, %(audit_action)s,
           NULL, CAST(%(audit_after)s AS jsonb), %(audit_prev)s, %(audit_hash)s FROM audited
)"""


def first_record_params(
    *, aggregate: tuple[str, Any], actor: str, action: str, at: datetime, after: dict[str, Any]
) -> dict[str, Any]:
    """The parameters of `FIRST_RECORD_CTES`: a new chain's first record, hashed as `record` would."""
    aggregate_type, aggregate_id = aggregate[0], str(aggregate[1])
    after_j = jsonable(after)
    digest = record_hash(
        prev_hash=GENESIS,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        seq=1,
        at=at,
        actor=actor,
        action=action,
        before=None,
        after=after_j,
    )
    return {
        "audit_t": aggregate_type,
        "audit_i": aggregate_id,
        "audit_at": at,
        "audit_actor": actor,
        "audit_action": action,
        "audit_after": json.dumps(after_j),
        "audit_prev": GENESIS,
        "audit_hash": digest,
    }


def anchor(session: Session, *, actor: str, at: datetime) -> AuditRecord:
    """Write a periodic record that chains the heads of every other chain."""
    heads = session.exec(
        select(AuditHead)
        .where(AuditHead.aggregate_type != ANCHOR[0])
        .order_by(AuditHead.aggregate_type, AuditHead.aggregate_id)  # type: ignore[arg-type]
    ).all()
    listing = [[h.aggregate_type, h.aggregate_id, h.seq, h.hash] for h in heads]
    return record(
        session,
        aggregate=ANCHOR,
        actor=actor,
        action="audit.anchored",
        at=at,
        after={"heads": listing, "digest": sha256_hex(canonical_json(listing))},
    )


@dataclass(frozen=True)
class ChainProblem:
    """The first bad record found, and why."""

    record_id: int | None
    aggregate_type: str
    aggregate_id: str
    seq: int
    reason: str

    def __str__(self) -> str:
        where = f"audit record {self.record_id} ({self.aggregate_type} {self.aggregate_id} #{self.seq})"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class VerifyReport:
    """What a verification saw."""

    records: int
    chains: int
    problems: list[ChainProblem]


def verify(session: Session) -> VerifyReport:
    """Recompute every chain; report the first bad record of each broken chain."""
    problems: list[ChainProblem] = []
    records = chains = 0
    anchors: list[AuditRecord] = []
    last_of: dict[tuple[str, str], AuditRecord] = {}
    for chain in _chains(session):
        chains += 1
        expected_prev = GENESIS
        for seq, row in enumerate(chain, start=1):
            records += 1
            problem = _check(row, seq=seq, expected_prev=expected_prev)
            if problem is not None:
                problems.append(problem)
                break
            expected_prev = row.hash
        last_of[(chain[0].aggregate_type, chain[0].aggregate_id)] = chain[-1]
        if chain[0].aggregate_type == ANCHOR[0]:
            anchors.extend(chain)
    problems.extend(_check_heads(session, last_of))
    problems.extend(_check_anchors(session, anchors))
    return VerifyReport(records=records, chains=chains, problems=problems)


def _chains(session: Session) -> Iterator[list[AuditRecord]]:
    rows = session.exec(
        select(AuditRecord).order_by(
            AuditRecord.aggregate_type,  # type: ignore[arg-type]
            AuditRecord.aggregate_id,  # type: ignore[arg-type]
            AuditRecord.seq,  # type: ignore[arg-type]
        )
    )
    current: list[AuditRecord] = []
    for row in rows:
        if current and (row.aggregate_type, row.aggregate_id) != (
            current[0].aggregate_type,
            current[0].aggregate_id,
        ):
            yield current
            current = []
        current.append(row)
    if current:
        yield current


def _check(row: AuditRecord, *, seq: int, expected_prev: str) -> ChainProblem | None:
    def bad(reason: str) -> ChainProblem:
        return ChainProblem(row.id, row.aggregate_type, row.aggregate_id, row.seq, reason)

    if row.seq != seq:
        return bad(f"sequence gap: expected #{seq}")
    if row.prev_hash != expected_prev:
        return bad("previous-hash link broken (a record before it was removed or replaced)")
    recomputed = record_hash(
        prev_hash=row.prev_hash,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        before=row.before,
        after=row.after,
    )
    if recomputed != row.hash:
        return bad("content does not match its hash (the record was altered)")
    return None


def _check_heads(session: Session, last_of: dict[tuple[str, str], AuditRecord]) -> list[ChainProblem]:
    problems = []
    for head in session.exec(select(AuditHead)):
        last = last_of.get((head.aggregate_type, head.aggregate_id))
        if last is None or (last.seq, last.hash) != (head.seq, head.hash):
            problems.append(
                ChainProblem(
                    last.id if last else None,
                    head.aggregate_type,
                    head.aggregate_id,
                    head.seq,
                    "chain head does not match its newest record (records were removed)",
                )
            )
    return problems


def _check_anchors(session: Session, anchors: list[AuditRecord]) -> list[ChainProblem]:
    if not anchors:
        return []
    known = {
        (r.aggregate_type, r.aggregate_id, r.seq): r.hash
        for r in session.exec(select(AuditRecord).where(AuditRecord.aggregate_type != ANCHOR[0]))
    }
    problems = []
    for anchor_row in anchors:
        for aggregate_type, aggregate_id, seq, digest in (anchor_row.after or {}).get("heads", []):
            if known.get((aggregate_type, aggregate_id, seq)) != digest:
                problems.append(
                    ChainProblem(
                        anchor_row.id,
                        aggregate_type,
                        aggregate_id,
                        seq,
                        f"anchored head #{seq} no longer matches the chain",
                    )
                )
    return problems
