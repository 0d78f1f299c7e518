"""A close's settlements: every matured cohort of the authority's contracts, settled and written."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import insert
from sqlmodel import Session

from outcomes.flowthrough.queries import start_verdicts
from outcomes.flowthrough.steps import FlowThroughConfig
from outcomes.payments.bonus import FeeLine
from outcomes.payments.contract_terms import ContractSetup
from outcomes.payments.models import SettledStart
from outcomes.payments.period_rules import Month
from outcomes.payments.rows import copy_lines, line_row
from outcomes.payments.settlement import (
    Cohort,
    CohortStart,
    CohortStatus,
    StartVerdict,
    plan_cohorts,
    settle_cohort,
)
from procurement.core.db import driver_connection
from procurement.core.money import fraction_text

# Standing starts whose start fee no settlement has covered yet, with their net withheld part.
UNSETTLED = """
SELECT l.contract_id::text, l.event_id::text, e.referral_id::text, l.lot_id::text, l.pseudonym,
       l.home_municipality_code, l.event_date, l.episode_id, l.unit_amount_cents,
       COALESCE(sum(l.amount_cents) FILTER (WHERE l.kind = 'start_fee_withheld'), 0)::bigint
FROM payment_line l JOIN outcome_event e ON e.id = l.event_id
WHERE l.kind IN ('start_fee', 'start_fee_withheld') AND l.contract_id = ANY(%(contract_ids)s::uuid[])
  AND e.state IN ('payable', 'paid')
  AND NOT EXISTS (SELECT 1 FROM payment_settled_start s WHERE s.event_id = l.event_id)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
ORDER BY 7, 2
"""
OLDEST_UNSETTLED = """
SELECT l.contract_id::text, min(l.event_date) FROM payment_line l
WHERE l.kind IN ('start_fee', 'start_fee_withheld') AND l.contract_id = ANY(%(contract_ids)s::uuid[])
  AND NOT EXISTS (SELECT 1 FROM payment_settled_start s WHERE s.event_id = l.event_id)
GROUP BY 1
"""
# Standing outcome fees of these referrals: the bonus base of the cohorts their starts settle in.
FEES = """
SELECT e.referral_id::text, l.contract_id::text, l.lot_id::text, l.event_id::text, l.event_type, l.event_date,
       l.episode_id, l.pseudonym, l.home_municipality_code, l.unit_amount_cents, l.multiplier_bp, l.component,
       l.amount_cents
FROM payment_line l JOIN outcome_event e ON e.id = l.event_id
WHERE l.kind = 'outcome' AND e.referral_id = ANY(%(referral_ids)s::uuid[]) AND e.state IN ('payable', 'paid')
  AND NOT EXISTS (SELECT 1 FROM payment_line c WHERE c.corrects_line_id = l.id)
ORDER BY l.id
"""
COMMITTED = """
SELECT contract_id::text, pseudonym, sum(committed_delta_cents)::bigint FROM payment_line
WHERE contract_id = ANY(%(contract_ids)s::uuid[]) GROUP BY 1, 2
"""


@dataclass(frozen=True, kw_only=True)
class Due:
    """What the settlements of a close read: unsettled starts, fees and committed totals of due contracts."""

    starts: dict[str, list[CohortStart]]  # contract id -> starts
    fees: dict[str, list[tuple[str | None, FeeLine]]]  # referral id -> (lot id, fee)
    contract_cents: dict[str, int]
    participant_cents: dict[tuple[str, str], int]


def _due_contracts(
    session: Session, *, setups: Mapping[str, ContractSetup], settlement_date: date
) -> list[str]:
    with driver_connection(session).cursor() as cursor:
        cursor.execute(OLDEST_UNSETTLED, {"contract_ids": sorted(setups)})
        oldest = dict(cursor.fetchall())
    return sorted(
        cid
        for cid, first in oldest.items()
        if (settlement_date - first).days
        >= setups[cid].model.ft_horizon_days + setups[cid].model.data_lag_days
    )


def _load(session: Session, *, contract_ids: list[str]) -> Due:
    due = Due(starts={}, fees={}, contract_cents={}, participant_cents={})
    with driver_connection(session).cursor() as cursor:
        cursor.execute(UNSETTLED, {"contract_ids": contract_ids})
        for cid, event, referral, lot, pseudonym, municipality, day, episode, price, withheld in cursor:
            due.starts.setdefault(cid, []).append(
                CohortStart(
                    event_id=event,
                    referral_id=referral,
                    lot_id=lot,
                    pseudonym=pseudonym,
                    home_municipality_code=municipality,
                    start_date=day,
                    episode_id=episode,
                    unit_price_cents=price,
                    withheld_cents=withheld,
                )
            )
        referral_ids = sorted({s.referral_id for starts in due.starts.values() for s in starts})
        cursor.execute(FEES, {"referral_ids": referral_ids})
        for (
            referral,
            cid,
            lot,
            event,
            kind,
            day,
            episode,
            pseudonym,
            code,
            price,
            mult,
            comp,
            cents,
        ) in cursor:
            fee = FeeLine(
                contract_id=cid,
                event_id=event,
                event_type=kind,
                event_date=day,
                episode_id=episode,
                pseudonym=pseudonym,
                home_municipality_code=code,
                unit_price_cents=price,
                multiplier_bp=mult,
                component=comp,
                fee_cents=cents,
                cohort="",
            )
            due.fees.setdefault(referral, []).append((lot, fee))
        cursor.execute(COMMITTED, {"contract_ids": contract_ids})
        for cid, pseudonym, cents in cursor:
            due.contract_cents[cid] = due.contract_cents.get(cid, 0) + cents
            if pseudonym is not None:
                due.participant_cents[(cid, pseudonym)] = cents
    return due


def settlements(
    session: Session, *, period_id: uuid.UUID, setups: Mapping[str, ContractSetup], month: Month
) -> int:
    """Settle every matured cohort of the authority's contracts; returns the number of cohorts settled."""
    settlement_date = month.last_day
    due_ids = _due_contracts(session, setups=setups, settlement_date=settlement_date)
    if not due_ids:
        return 0
    due = _load(session, contract_ids=due_ids)
    plans: list[tuple[ContractSetup, Cohort]] = []
    for cid in due_ids:
        setup = setups[cid]
        plan = plan_cohorts(
            model=setup.model,
            starts=due.starts.get(cid, []),
            settlement_date=settlement_date,
            contract_closed=setup.contract.state != "active",
        )
        plans.extend((setup, c) for c in plan if c.status is CohortStatus.SETTLEABLE)
    rows: list[str] = []
    settled: list[dict[str, object]] = []
    for setup, cohort in plans:
        written = _settle(session, setup=setup, cohort=cohort, due=due, period_id=period_id, month=month)
        if written is not None:
            rows.extend(written[0])
            settled.extend(written[1])
    if rows:
        copy_lines(session, ["".join(rows)])
        session.execute(insert(SettledStart), settled)
    return len({str(r["settlement_key"]) for r in settled})


def _settle(
    session: Session, *, setup: ContractSetup, cohort: Cohort, due: Due, period_id: uuid.UUID, month: Month
) -> tuple[list[str], list[dict[str, object]]] | None:
    """One cohort's rows and settled starts, or None while its flow-through cannot be judged."""
    model, cid = setup.model, setup.terms.contract_id
    # Flow-through is judged as the registers stood a data lag before the settlement date (ADR 0006).
    ft_cutoff = month.last_day - timedelta(days=model.data_lag_days)
    counts = start_verdicts(
        session,
        referral_ids=[s.referral_id for s in cohort.starts],
        cutoff=ft_cutoff,
        config=FlowThroughConfig(horizon_days=model.ft_horizon_days, target_bp=model.ft_target_bp),
    )
    verdicts = {
        rid: StartVerdict.NEUTRAL
        if c.neutral
        else (StartVerdict.QUALIFIED if c.qualified else StartVerdict.NOT_QUALIFIED)
        for rid, c in counts.items()
    }
    key = f"{cid}/cohort:{cohort.cohort_id}"
    fees = [(lot, fee) for s in cohort.starts for lot, fee in due.fees.get(s.referral_id, [])]
    result = settle_cohort(
        contract=setup.terms,
        cohort=cohort,
        verdicts=verdicts,
        fees=[fee.with_cohort(key) for _, fee in fees],
        participant_committed_cents={p: c for (k, p), c in due.participant_cents.items() if k == cid},
        contract_committed_cents=due.contract_cents.get(cid, 0),
        settlement_date=month.last_day,
        ft_cutoff=ft_cutoff,
    )
    if result is None:
        return None
    for line in result.lines:
        due.contract_cents[cid] = due.contract_cents.get(cid, 0) + line.committed_delta_cents
        pair = (cid, line.pseudonym)
        due.participant_cents[pair] = due.participant_cents.get(pair, 0) + line.committed_delta_cents
    lots = {s.event_id: s.lot_id for s in cohort.starts} | {fee.event_id: lot for lot, fee in fees}
    rows = [
        line_row(line, setup.context(period_id=period_id, lot_id=lots[line.event_id]))
        for line in result.lines
    ]
    ratio, rate = fraction_text(result.figures.release_ratio), fraction_text(result.figures.bonus_rate)
    settled: list[dict[str, object]] = [
        {
            "event_id": uuid.UUID(s.event_id),
            "period_id": period_id,
            "contract_id": setup.contract.id,
            "referral_id": uuid.UUID(s.referral_id),
            "settlement_key": key,
            "release_ratio": ratio,
            "bonus_rate": rate,
        }
        for s in cohort.starts
    ]
    return rows, settled
