"""A component line's trace stored compactly and rebuilt exactly: the rule rerun on the line's own inputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from outcomes.payments.lines import COMPONENT_RULE, OutcomeKey, PaymentEvent, trace_digest
from outcomes.payments.model import ContractTerms, PaymentModel
from outcomes.payments.rules import compute_event_lines
from outcomes.tracking.rules import BenefitDaysTier, OutcomeEventType

# The order of events is not part of a line's trace: what came before is in its committed inputs.
NOT_ORDERED = datetime(1970, 1, 1, tzinfo=UTC)

# The inputs of the component rule that a payment_line row does not hold itself; everything else in the
# full trace is the row's own columns, the period snapshot's terms, or follows from them by the rule.
COMPACT_INPUTS = (
    "contract_id",
    "tier",
    "partial_work_ability",
    "participant_committed_cents",
    "contract_committed_cents",
)
COMPACT_FORM = "component_amount/inputs-1"


class TraceMismatch(RuntimeError):
    """A rebuilt trace does not hash to the line's trace id: the stored inputs do not reproduce it."""


def compact_trace(trace: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stored form of a component line's full trace, or None for traces stored whole."""
    if trace.get("rule") != COMPONENT_RULE:
        return None
    inputs = trace["inputs"]
    return {
        "form": COMPACT_FORM,
        **{name: inputs[name] for name in COMPACT_INPUTS},
        "already_paid": trace["already_paid"],
    }


def model_data(model: PaymentModel) -> dict[str, Any]:
    """A payment model in the contract's JSON shape, so ``payment_model_of`` reads it back unchanged."""
    return {
        "category": model.category.value,
        "components": [{"code": c.value, "share_bp": s} for c, s in model.shares_bp],
        "tier_multipliers_bp": {t.value: v for t, v in model.tier_multipliers_bp},
        "partial_work_ability_bp": model.partial_work_ability_bp,
        "max_multiplier_bp": model.max_multiplier_bp,
        "withhold_bp": model.withhold_bp,
        "ft_target_bp": model.ft_target_bp,
        "ft_horizon_days": model.ft_horizon_days,
        "data_lag_days": model.data_lag_days,
        "min_cohort_starts": model.min_cohort_starts,
        "bonus_share_bp": model.bonus_share_bp,
        "bonus_cap_bp": model.bonus_cap_bp,
        "participant_cap_bp": model.participant_cap_bp,
        "rule_version": model.rule_version,
    }


def rebuild_trace(
    *, stored: Mapping[str, Any], terms: ContractTerms, row: Mapping[str, Any]
) -> dict[str, Any]:
    """The full trace of a component line from its compact form, its row and its period's terms."""
    if terms.contract_id != stored["contract_id"]:
        raise TraceMismatch(f"terms {terms.contract_id} are not the line's {stored['contract_id']}")
    paid: set[OutcomeKey] = set()
    if stored["already_paid"]:
        paid.add(OutcomeKey.parse(str(row["outcome_key"])))
    event_date: date = row["event_date"]
    result = compute_event_lines(
        contract=terms,
        event=PaymentEvent(
            event_id=str(row["event_id"]),
            event_type=OutcomeEventType(row["event_type"]),
            event_date=event_date,
            episode_id=row["episode_id"],
            verified_at=NOT_ORDERED,
            contract_id=terms.contract_id,
            lot_id=None,
            unit_price_cents=row["unit_amount_cents"],
            pseudonym=row["pseudonym"],
            home_municipality_code=row["home_municipality_code"],
            tier=BenefitDaysTier(stored["tier"]),
            partial_work_ability=stored["partial_work_ability"],
        ),
        participant_committed_cents=stored["participant_committed_cents"],
        contract_committed_cents=stored["contract_committed_cents"],
        paid_keys=paid,
        claims={},
    )
    for line in result.lines:
        if line.line_key == row["line_key"]:
            return dict(line.trace)
    raise TraceMismatch(f"the rule gives no line {row['line_key']} from the stored inputs")


def full_trace(
    *, stored: Mapping[str, Any], row: Mapping[str, Any], terms_of: Callable[[str], ContractTerms]
) -> dict[str, Any]:
    """A line's full trace, rebuilt when stored compactly; it must hash to the line's trace id."""
    if stored.get("form") != COMPACT_FORM:
        return dict(stored)
    trace = rebuild_trace(stored=stored, terms=terms_of(stored["contract_id"]), row=row)
    if trace_digest(trace) != row["trace_id"]:
        raise TraceMismatch(f"the rebuilt trace of line {row.get('id')} does not hash to its trace id")
    return trace
