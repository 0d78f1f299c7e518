"""Lines a close adds beside the events': the corrections of voided and clawed-back events."""

from __future__ import annotations

import uuid

from psycopg.rows import dict_row
from sqlmodel import Session

from outcomes.payments.lines import parse_fraction
from outcomes.payments.period_rules import CORRECTABLE_KINDS, CORRECTION_RULE, correction_of
from outcomes.payments.rows import copy_lines, raw_row
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


def corrections(session: Session, *, period_id: uuid.UUID, authority_id: uuid.UUID) -> int:
    """Negative lines for every uncorrected line of a voided or awaiting-clawback event; returns the count."""
    rows: list[str] = []
    with driver_connection(session).cursor(row_factory=dict_row) as cursor:
        cursor.execute(TO_CORRECT, {"authority_id": authority_id, "kinds": list(CORRECTABLE_KINDS)})
        found = cursor.fetchall()
        for line in found:
            ratio = None if line["release_ratio"] is None else parse_fraction(line["release_ratio"])
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
                        "base_cents": fix.base_cents,
                        "rate_num": fix.rate.numerator,
                        "rate_den": fix.rate.denominator,
                        "deducted_cents": 0,
                        "outcome_claim": 0,
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
