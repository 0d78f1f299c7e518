"""Lines a close adds beside the events': corrections of voided events and matured cohort settlements."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from fractions import Fraction

from psycopg.rows import dict_row
from sqlalchemy import insert
from sqlmodel import Session

from outcomes.flowthrough.queries import fetch_counts
from outcomes.flowthrough.rules import Dimension
from outcomes.flowthrough.steps import FlowThroughConfig
from outcomes.payments.contract_terms import ContractSetup
from outcomes.payments.models import SettledStart
from outcomes.payments.period_rules import CORRECTABLE_KINDS, CORRECTION_RULE, Month, correction_of
from outcomes.payments.rows import copy_lines, line_row, raw_row
from outcomes.payments.settlement import (
    Cohort,
    CohortStart,
    CohortStatus,
    FlowThroughCount,
    plan_cohorts,
    settle_cohort,
)
from outcomes.tracking.rules import PaymentComponent
from procurement.core.db import driver_connection

# Lines of events voided after their period closed (unpaid) or after they were paid, not yet corrected.
TO_CORRECT = """
SELECT l.id, l.period_id, l.contract_id::text, l.supplier_id::text, l.lot_id::text, l.pseudonym,
       l.home_municipality_code, l.event_id::text, l.event_type, l.event_date, l.episode_id, l.component,
       l.kind, l.status, l.unit_amount_cents, l.share_bp, l.multiplier_bp, l.amount_cents,
       l.committed_delta_cents, l.vat_code, l.cost_centre, l.rule_version, l.trace_id, l.line_key,
       e.state, e.reason, s.release_ratio
FROM payment_line l
JOIN outcome_event e ON e.id = l.event_id
JOIN contract k ON k.id = l.contract_id
LEFT JOIN payment_settled_start s ON s.event_id = l.event_id AND l.kind = 'start_fee_withheld'
WHERE k.authority_id = %(authority_id)s AND e.state IN ('awaiting_clawback', 'voided')
  AND l.kind = ANY(%(kinds)s) AND l.amount_cents <> 0
  AND NOT EXISTS (SELECT 1 FROM payment_line c WHERE c.corrects_line_id = l.id)
ORDER BY l.id
"""
# Withheld start fees not yet settled (net of any correction), of starts still standing.
UNSETTLED = """
SELECT l.contract_id::text, l.unit_amount_cents, l.event_id::text, l.pseudonym, l.home_municipality_code,
       l.event_date,
       (l.amount_cents + COALESCE(
           (SELECT sum(c.amount_cents) FROM payment_line c WHERE c.corrects_line_id = l.id), 0))::bigint
FROM payment_line l JOIN outcome_event e ON e.id = l.event_id
WHERE l.kind = 'start_fee_withheld' AND l.contract_id = ANY(%(contract_ids)s::uuid[])
  AND e.state IN ('payable', 'paid')
  AND NOT EXISTS (SELECT 1 FROM payment_settled_start s WHERE s.event_id = l.event_id)
"""
OLDEST_UNSETTLED = """
SELECT l.contract_id::text, min(l.event_date) FROM payment_line l
WHERE l.kind = 'start_fee_withheld' AND l.contract_id = ANY(%(contract_ids)s::uuid[])
  AND NOT EXISTS (SELECT 1 FROM payment_settled_start s WHERE s.event_id = l.event_id)
GROUP BY 1
"""
# Outcome fees paid so far, per person: the bonus base of the cohorts those people started in.
OUTCOME_FEES = """
SELECT contract_id::text, unit_amount_cents, pseudonym, home_municipality_code, sum(amount_cents)::bigint
FROM payment_line
WHERE contract_id = ANY(%(contract_ids)s::uuid[]) AND status = 'payable' AND component = ANY(%(components)s)
  AND pseudonym IS NOT NULL
GROUP BY 1, 2, 3, 4
"""
COMMITTED = """
SELECT contract_id::text, unit_amount_cents, sum(committed_delta_cents)::bigint FROM payment_line
WHERE contract_id = ANY(%(contract_ids)s::uuid[]) GROUP BY 1, 2
"""
OUTCOME_COMPONENTS = [c.value for c in PaymentComponent if c is not PaymentComponent.START]


def corrections(session: Session, *, period_id: uuid.UUID, authority_id: uuid.UUID) -> int:
    """Negative lines for every uncorrected line of a voided or awaiting-clawback event; returns the count."""
    rows: list[str] = []
    with driver_connection(session).cursor(row_factory=dict_row) as cursor:
        cursor.execute(TO_CORRECT, {"authority_id": authority_id, "kinds": list(CORRECTABLE_KINDS)})
        found = cursor.fetchall()
        for line in found:
            ratio = None
            if line["release_ratio"] is not None:
                numerator, denominator = line["release_ratio"].split("/")
                ratio = Fraction(int(numerator), int(denominator))
            fix = correction_of(
                line=line, event_state=line["state"], event_reason=line["reason"], release_ratio=ratio
            )
            rows.append(
                raw_row(
                    {
                        **{k: line[k] for k in _COPIED},
                        "period_id": str(period_id),
                        "quantity": 1,
                        "kind": fix.kind,
                        "status": fix.status,
                        "amount_cents": fix.amount_cents,
                        "unpaid_cents": 0,
                        "committed_delta_cents": fix.committed_delta_cents,
                        "rule": CORRECTION_RULE,
                        "rule_version": fix.trace["rule_version"],
                        "trace": fix.trace,
                        "corrects_line_id": line["id"],
                        "line_key": f"{line['line_key']}/{fix.kind}",
                    }
                )
            )
    copy_lines(session, ["".join(rows)])
    return len(rows)


_COPIED = (
    "contract_id",
    "supplier_id",
    "lot_id",
    "pseudonym",
    "home_municipality_code",
    "event_id",
    "event_type",
    "event_date",
    "episode_id",
    "component",
    "unit_amount_cents",
    "share_bp",
    "multiplier_bp",
    "vat_code",
    "cost_centre",
)


def _quarter_months(quarter: str) -> list[str]:
    year, number = quarter.split("Q")
    first = (int(number) - 1) * 3 + 1
    return [f"{year}-{m:02d}" for m in range(first, first + 3)]


def settlements(
    session: Session, *, period_id: uuid.UUID, setups: Mapping[str, ContractSetup], month: Month
) -> int:
    """Settle every matured cohort of the authority's contracts; returns the number of cohorts settled."""
    settlement_date = month.last_day
    with driver_connection(session).cursor() as cursor:
        cursor.execute(OLDEST_UNSETTLED, {"contract_ids": sorted(setups)})
        oldest = dict(cursor.fetchall())
        due = sorted(
            cid
            for cid, first in oldest.items()
            if (settlement_date - first).days
            >= setups[cid].model.ft_horizon_days + setups[cid].model.data_lag_days
        )
        if not due:
            return 0
        key_of = {
            (cid, price): terms.contract_id
            for cid in due
            for price, terms in setups[cid].terms_by_price.items()
        }
        starts: dict[str, list[CohortStart]] = {}
        cursor.execute(UNSETTLED, {"contract_ids": due})
        for contract_id, price, event_id, pseudonym, municipality, day, withheld in cursor.fetchall():
            starts.setdefault(key_of[(contract_id, price)], []).append(
                CohortStart(
                    event_id=event_id,
                    pseudonym=pseudonym,
                    home_municipality_code=municipality,
                    start_date=day,
                    withheld_cents=withheld,
                )
            )
        fees: dict[tuple[str, str], list[tuple[str, int]]] = {}
        cursor.execute(OUTCOME_FEES, {"contract_ids": due, "components": OUTCOME_COMPONENTS})
        for contract_id, price, pseudonym, municipality, cents in cursor.fetchall():
            fees.setdefault((key_of[(contract_id, price)], pseudonym), []).append((municipality, cents))
        committed: dict[str, int] = {}
        cursor.execute(COMMITTED, {"contract_ids": due})
        for contract_id, price, cents in cursor.fetchall():
            key = key_of.get((contract_id, price), contract_id)
            committed[key] = committed.get(key, 0) + cents
    counts = _flow_through_counts(session, setups=[setups[cid] for cid in due], cutoff=settlement_date)
    rows: list[str] = []
    settled: list[dict[str, object]] = []
    for contract_id in due:
        setup = setups[contract_id]
        for terms in setup.terms_by_price.values():
            plan = plan_cohorts(
                model=setup.model,
                starts=starts.get(terms.contract_id, []),
                settlement_date=settlement_date,
                contract_closed=setup.contract.state != "active",
            )
            for cohort in (c for c in plan if c.status is CohortStatus.SETTLEABLE):
                ft = _cohort_flow_through(counts, setup=setup, cohort=cohort)
                if ft is None:
                    continue
                by_municipality: dict[str, int] = {}
                for start in {s.pseudonym for s in cohort.starts}:
                    for municipality, cents in fees.get((terms.contract_id, start), []):
                        by_municipality[municipality] = by_municipality.get(municipality, 0) + cents
                result = settle_cohort(
                    contract=terms,
                    cohort=cohort,
                    flow_through=ft,
                    outcome_fees_cents=sum(by_municipality.values()),
                    contract_committed_cents=committed.get(terms.contract_id, 0),
                    settlement_date=settlement_date,
                    outcome_fees_by_municipality=dict(sorted(by_municipality.items())) or None,
                )
                committed[terms.contract_id] = (
                    committed.get(terms.contract_id, 0) + result.committed_delta_cents
                )
                context = setup.context(period_id=period_id, lot_id=None)
                rows.extend(line_row(line, context) for line in result.lines)
                key = f"{terms.contract_id}/cohort:{cohort.cohort_id}"
                settled.extend(
                    {
                        "event_id": uuid.UUID(s.event_id),
                        "period_id": period_id,
                        "contract_id": setup.contract.id,
                        "settlement_key": key,
                        "release_ratio": result.trace["release_ratio"],
                    }
                    for s in cohort.starts
                )
    if rows:
        copy_lines(session, ["".join(rows)])
        session.execute(insert(SettledStart), settled)
    return len({str(r["settlement_key"]) for r in settled})


def _flow_through_counts(
    session: Session, *, setups: list[ContractSetup], cutoff: date
) -> dict[tuple[str, str], tuple[int, int]]:
    """(contract, YYYY-MM) -> (qualified, matured non-neutral starts), by the flow-through SQL."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    configs = {(s.model.ft_horizon_days, s.model.ft_target_bp) for s in setups}
    for horizon, target in sorted(configs):
        wanted = {
            str(s.contract.id)
            for s in setups
            if (s.model.ft_horizon_days, s.model.ft_target_bp) == (horizon, target)
        }
        cells = fetch_counts(
            session,
            by=(Dimension.CONTRACT, Dimension.MONTH),
            cutoff=cutoff,
            authority_id=setups[0].contract.authority_id,
            config=FlowThroughConfig(horizon_days=horizon, target_bp=target),
        )
        for cell in cells:
            if cell.key[0] in wanted:
                neutral = sum(n for _, n in cell.neutral_by_kind)
                out[(cell.key[0], cell.key[1])] = (cell.qualified, cell.matured - neutral)
    return out


def _cohort_flow_through(
    counts: Mapping[tuple[str, str], tuple[int, int]], *, setup: ContractSetup, cohort: Cohort
) -> FlowThroughCount | None:
    qualified = denominator = 0
    for month in (m for q in cohort.quarters for m in _quarter_months(q)):
        q, d = counts.get((str(setup.contract.id), month), (0, 0))
        qualified, denominator = qualified + q, denominator + d
    # Every start a neutral exit: no flow-through to judge yet, so the withhold waits.
    return FlowThroughCount(qualified=qualified, denominator=denominator) if denominator else None
