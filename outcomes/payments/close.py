"""Closing a period's lines: move the verified events, rebuild the ledger, compute and COPY the lines."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlmodel import Session

from outcomes.payments.compute import MAX_WORKERS, PARALLEL_MIN_EVENTS, LinePool, Work
from outcomes.payments.contract_terms import ContractSetup
from outcomes.payments.ledger import Ledger
from outcomes.payments.lines import OutcomeKey, PaymentEvent
from outcomes.payments.period_rules import Month
from outcomes.payments.rows import LineContext, copy_lines
from outcomes.tracking.rules import (
    OUTCOME_EVENT_MACHINE,
    BenefitDaysTier,
    OutcomeEventState,
    OutcomeEventType,
    transition,
)
from procurement.core.db import driver_connection

_OS = OutcomeEventState

# One statement moves the events and returns what the rules need: the row locks are the UPDATE's own.
# Only events that earn something in their contract move; a job that pre-dates the referral never does.
# A referral whose start a cohort settlement has covered brings that cohort's bonus rate to its fees.
MOVE_EVENTS = """
UPDATE outcome_event e SET state = %(payable)s
FROM referral r LEFT JOIN payment_settled_start ss ON ss.referral_id = r.id,
     participant p, contract_lot cl,
     unnest(%(contract_ids)s::uuid[], %(event_types)s::text[]) AS pay(contract_id, event_type)
WHERE r.id = e.referral_id AND p.id = e.participant_id
  AND cl.contract_id = r.contract_id AND cl.lot_id = r.lot_id
  AND pay.contract_id = r.contract_id AND pay.event_type = e.event_type
  AND e.state = %(verified)s AND e.event_date <= %(cutoff)s AND NOT e.pre_dates_referral
RETURNING e.id::text, e.event_type, e.event_date, e.episode_id, COALESCE(e.decided_at, e.recorded_at),
          r.contract_id::text, r.lot_id::text, cl.unit_price_cents, p.pseudonym, r.home_municipality_code,
          r.tier, r.partial_work_ability, NULLIF(ss.bonus_rate, '0/1'), ss.settlement_key
"""
COMMITTED = """
SELECT contract_id::text, pseudonym, sum(committed_delta_cents)::bigint
FROM payment_line WHERE contract_id = ANY(%(contract_ids)s::uuid[]) GROUP BY 1, 2
"""
STREAM_ROWS = 10_000  # rows per chunk of the move's result
LIBPQ_CHUNKED_ROWS = 170000
# Every paid outcome line of these people: a key is held while a paid claim of it stands (its event is
# neither voided nor clawed back and the line is not reversed); each line counts as one claim of its key.
PAID_KEYS = """
SELECT outcome_key, bool_or(standing), count(*) FROM (
    SELECT l.outcome_key, e.state IN ('payable', 'paid')
           AND NOT EXISTS (SELECT 1 FROM payment_line c WHERE c.corrects_line_id = l.id) AS standing
    FROM payment_line l JOIN outcome_event e ON e.id = l.event_id
    WHERE l.kind = 'outcome' AND l.pseudonym = ANY(%(pseudonyms)s)
) paid GROUP BY outcome_key
"""
_EVENT_TYPES = {kind.value: kind for kind in OutcomeEventType}
_TIERS = {tier.value: tier for tier in BenefitDaysTier}


@dataclass(frozen=True, kw_only=True)
class MovedEvents:
    """The events a close moved to payable: how many, and a digest of their ids for the audit record."""

    count: int
    ids_sha256: str


def move_events(session: Session, *, setups: Mapping[str, ContractSetup], month: Month) -> list[PaymentEvent]:
    """Move the authority's verified, paying events up to the month's end to payable; return them."""
    # The state machine decides the edge; the statement applies it to every event at once.
    transition(machine=OUTCOME_EVENT_MACHINE, current=_OS.VERIFIED, target=_OS.PAYABLE)
    pairs = [(cid, kind) for cid, setup in sorted(setups.items()) for kind in setup.paying_event_types]
    if not pairs:
        return []
    params = {
        "payable": _OS.PAYABLE.value,
        "verified": _OS.VERIFIED.value,
        "cutoff": month.last_day,
        "contract_ids": [p[0] for p in pairs],
        "event_types": [p[1] for p in pairs],
    }
    with driver_connection(session).cursor() as cursor:
        return [
            PaymentEvent(
                event_id=r[0],
                event_type=_EVENT_TYPES[r[1]],
                event_date=r[2],
                episode_id=r[3],
                verified_at=r[4],
                contract_id=r[5],
                lot_id=r[6],
                unit_price_cents=r[7],
                pseudonym=r[8],
                home_municipality_code=r[9],
                tier=_TIERS[r[10]],
                partial_work_ability=r[11],
                bonus_rate=r[12],
                bonus_cohort=r[13],
            )
            for r in _moved_rows(cursor, params)
        ]


def _moved_rows(cursor: Any, params: dict[str, Any]) -> Iterator[Any]:
    # In chunks, turned into inputs while the rest are still arriving (chunked rows need libpq 17).
    if psycopg.pq.version() >= LIBPQ_CHUNKED_ROWS:
        yield from cursor.stream(MOVE_EVENTS, params, size=STREAM_ROWS)
    else:
        cursor.execute(MOVE_EVENTS, params)
        yield from cursor


def moved_digest(events: Sequence[PaymentEvent]) -> MovedEvents:
    """Count and SHA-256 of the sorted event ids: the audit record's account of a bulk move."""
    digest = hashlib.sha256("\n".join(sorted(e.event_id for e in events)).encode()).hexdigest()
    return MovedEvents(count=len(events), ids_sha256=digest)


def load_ledger(session: Session, *, setups: Mapping[str, ContractSetup], known: Ledger) -> Ledger:
    """Running totals from every stored line of these contracts, with the paid keys ``known`` holds."""
    ledger = Ledger(paid_keys=set(known.paid_keys), claims=dict(known.claims))
    with driver_connection(session).cursor() as cursor:
        cursor.execute(COMMITTED, {"contract_ids": sorted(setups)})
        for contract_id, pseudonym, cents in cursor.fetchall():
            ledger.contract_cents[contract_id] = ledger.contract_cents.get(contract_id, 0) + cents
            if pseudonym is not None:
                pair = (contract_id, pseudonym)
                ledger.participant_cents[pair] = ledger.participant_cents.get(pair, 0) + cents
    return ledger


def add_paid_keys(session: Session, *, known: Ledger, pseudonyms: set[str]) -> None:
    """Add the ring's paid keys of these people (every category's) to ``known``."""
    if not pseudonyms:
        return
    with driver_connection(session).cursor() as cursor:
        cursor.execute(PAID_KEYS, {"pseudonyms": sorted(pseudonyms)})
        for text, standing, claims in cursor.fetchall():
            key = OutcomeKey.parse(text)
            known.claims[key] = claims
            if standing:
                known.paid_keys.add(key)


def close_lines(
    session: Session,
    *,
    period_id: uuid.UUID,
    setups: Mapping[str, ContractSetup],
    month: Month,
    workers: int | None = None,
) -> list[PaymentEvent]:
    """Move the verified events to payable and COPY their lines into the period; return the events.

    No payment rule joins two categories (the once-only key names its outcome type, and caps and
    ceilings are per contract), so the events move one category at a time: while the server moves the
    next category's, worker processes already compute the lines of the last.
    """
    count = workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS)
    # Tests ask for workers to exercise them on small batches.
    pool = LinePool(workers=count, parallel_min_events=1 if workers is not None else PARALLEL_MIN_EVENTS)
    category_of = {contract_id: s.contract.category_code for contract_id, s in setups.items()}
    moved: list[PaymentEvent] = []
    known, asked = Ledger(), set[str]()  # the paid keys of the people met so far: each is asked about once
    with pool:
        for category in sorted(set(category_of.values())):
            subset = {cid: s for cid, s in sorted(setups.items()) if category_of[cid] == category}
            events = move_events(session, setups=subset, month=month)
            if not events:
                continue
            moved.extend(events)
            people = {e.pseudonym for e in events} - asked
            add_paid_keys(session, known=known, pseudonyms=people)
            asked |= people
            ledger = load_ledger(session, setups=subset, known=known)
            work = _work(subset, period_id=period_id, events=events, ledger=ledger)
            pool.add(work, category_of=category_of)
        if moved:
            copy_lines(session, pool.chunks())
    return moved


def _work(
    setups: Mapping[str, ContractSetup], *, period_id: uuid.UUID, events: list[PaymentEvent], ledger: Ledger
) -> Work:
    contexts: dict[tuple[str, str | None], LineContext] = {
        (contract_id, lot_id): setup.context(period_id=period_id, lot_id=lot_id)
        for contract_id, setup in setups.items()
        for lot_id in setup.lot_ids
    }
    terms = {contract_id: s.terms for contract_id, s in setups.items()}
    return Work(terms=terms, contexts=contexts, events=events, ledger=ledger)
