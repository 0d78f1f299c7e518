"""Closing a period's lines: move the verified events, rebuild the ledger, compute and COPY the lines."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlmodel import Session

from outcomes.payments.compute import EventInput, Ledger, Work, line_chunks
from outcomes.payments.contract_terms import ContractSetup, terms_index
from outcomes.payments.period_rules import Month
from outcomes.payments.rows import LineContext, copy_lines
from outcomes.payments.rules import OutcomeKey
from outcomes.tracking.rules import OUTCOME_EVENT_MACHINE, OutcomeEventState, transition
from procurement.core.db import driver_connection

_OS = OutcomeEventState

# One statement moves the events and returns what the rules need: the row locks are the UPDATE's own.
# Only events that earn something in their contract move; a job that pre-dates the referral never does.
MOVE_EVENTS = """
UPDATE outcome_event e SET state = %(payable)s
FROM referral r, participant p, contract_lot cl,
     unnest(%(contract_ids)s::uuid[], %(event_types)s::text[]) AS pay(contract_id, event_type)
WHERE r.id = e.referral_id AND p.id = e.participant_id
  AND cl.contract_id = r.contract_id AND cl.lot_id = r.lot_id
  AND pay.contract_id = r.contract_id AND pay.event_type = e.event_type
  AND e.state = %(verified)s AND e.event_date <= %(cutoff)s AND NOT e.pre_dates_referral
RETURNING e.id::text, e.event_type, e.event_date, e.episode_id, r.contract_id::text, r.lot_id::text,
          cl.unit_price_cents, p.pseudonym, r.home_municipality_code, r.tier, r.partial_work_ability
"""
COMMITTED = """
SELECT contract_id::text, unit_amount_cents, pseudonym, sum(committed_delta_cents)::bigint
FROM payment_line WHERE contract_id = ANY(%(contract_ids)s::uuid[]) GROUP BY 1, 2, 3
"""
STREAM_ROWS = 10_000  # rows per chunk of the move's result
LIBPQ_CHUNKED_ROWS = 170000
PAID_KEYS = "SELECT outcome_key FROM payment_line WHERE kind = 'outcome' AND pseudonym = ANY(%(pseudonyms)s)"


@dataclass(frozen=True, kw_only=True)
class MovedEvents:
    """The events a close moved to payable: how many, and a digest of their ids for the audit record."""

    count: int
    ids_sha256: str


def move_events(session: Session, *, setups: Mapping[str, ContractSetup], month: Month) -> list[EventInput]:
    """Move the authority's verified, paying events up to the month's end to payable; return them."""
    # The state machine decides the edge; the statement applies it to every event at once.
    transition(machine=OUTCOME_EVENT_MACHINE, current=_OS.VERIFIED, target=_OS.PAYABLE)
    pairs = [(cid, kind) for cid, setup in sorted(setups.items()) for kind in setup.paying_event_types]
    if not pairs:
        return []
    index = terms_index(setups)
    params = {
        "payable": _OS.PAYABLE.value,
        "verified": _OS.VERIFIED.value,
        "cutoff": month.last_day,
        "contract_ids": [p[0] for p in pairs],
        "event_types": [p[1] for p in pairs],
    }
    with driver_connection(session).cursor() as cursor:
        return [
            EventInput(
                event_id=r[0],
                event_type=r[1],
                event_date=r[2],
                episode_id=r[3],
                terms_key=index[(r[4], r[6])],
                lot_id=r[5],
                pseudonym=r[7],
                home_municipality_code=r[8],
                tier=r[9],
                partial_work_ability=r[10],
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


def moved_digest(events: Sequence[EventInput]) -> MovedEvents:
    """Count and SHA-256 of the sorted event ids: the audit record's account of a bulk move."""
    digest = hashlib.sha256("\n".join(sorted(e.event_id for e in events)).encode()).hexdigest()
    return MovedEvents(count=len(events), ids_sha256=digest)


def load_ledger(session: Session, *, setups: Mapping[str, ContractSetup], pseudonyms: set[str]) -> Ledger:
    """Running totals from every stored line of these contracts, and the ring's paid keys of these people."""
    index = terms_index(setups)
    ledger = Ledger()
    with driver_connection(session).cursor() as cursor:
        cursor.execute(COMMITTED, {"contract_ids": sorted(setups)})
        for contract_id, price, pseudonym, cents in cursor.fetchall():
            key = index.get((contract_id, price), contract_id)
            ledger.contract_cents[key] = ledger.contract_cents.get(key, 0) + cents
            if pseudonym is not None:
                pair = (key, pseudonym)
                ledger.participant_cents[pair] = ledger.participant_cents.get(pair, 0) + cents
        if pseudonyms:
            cursor.execute(PAID_KEYS, {"pseudonyms": sorted(pseudonyms)})
            for (text,) in cursor.fetchall():
                pseudonym, outcome_type, episode = text.split("|")
                ledger.paid_keys.add(
                    OutcomeKey(pseudonym=pseudonym, outcome_type=outcome_type, episode_id=episode)
                )
    return ledger


def event_lines(
    session: Session,
    *,
    period_id: uuid.UUID,
    setups: Mapping[str, ContractSetup],
    events: Sequence[EventInput],
    workers: int | None = None,
) -> None:
    """Compute the lines of the moved events and COPY them into the period."""
    if not events:
        return
    terms = {t.contract_id: t for s in setups.values() for t in s.terms_by_price.values()}
    category_of = {
        t.contract_id: s.contract.category_code for s in setups.values() for t in s.terms_by_price.values()
    }
    contexts: dict[tuple[str, str | None], LineContext] = {}
    for setup in setups.values():
        for lot_id, price in setup.lot_prices.items():
            key = setup.terms_by_price[price].contract_id
            contexts[(key, lot_id)] = setup.context(period_id=period_id, lot_id=lot_id)
    ledger = load_ledger(session, setups=setups, pseudonyms={e.pseudonym for e in events})
    work = Work(terms=terms, contexts=contexts, events=events, ledger=ledger)
    copy_lines(session, line_chunks(work, category_of=category_of, workers=workers))
