"""Compact component traces: the stored inputs rebuild the full trace whose SHA-256 is the trace id."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from outcomes.payments.contract_terms import payment_model_of
from outcomes.payments.lines import OutcomeKey, PaymentEvent, PaymentLine, outcome_type
from outcomes.payments.model import ContractTerms, default_payment_model
from outcomes.payments.rows import canonical_trace
from outcomes.payments.rules import compute_event_lines
from outcomes.payments.trace import COMPACT_FORM, TraceMismatch, compact_trace, full_trace, model_data
from outcomes.tracking.rules import BenefitDaysTier, Category, OutcomeEventType, PaymentComponent

MODEL = replace(default_payment_model(category=Category.EMPLOYMENT), participant_cap_bp=9000)
TERMS = ContractTerms(contract_id="c-1", awarded_value_cents=500_000, model=MODEL)
WHO = "p" * 64


def row_of(line: PaymentLine) -> dict[str, Any]:
    """The columns of a stored line that the rebuild reads."""
    key = line.outcome_key
    return {
        "id": 1,
        "pseudonym": line.pseudonym,
        "home_municipality_code": line.home_municipality_code,
        "event_id": line.event_id,
        "unit_amount_cents": line.unit_price_cents,
        "event_type": line.event_type,
        "event_date": line.event_date,
        "episode_id": line.episode_id,
        "line_key": line.line_key,
        "trace_id": canonical_trace(line.trace)[1],
        "outcome_key": None if key is None else key.text,
    }


def lines(event_type: OutcomeEventType, *, paid: bool, committed: int) -> tuple[PaymentLine, ...]:
    event = PaymentEvent(
        event_id="e-1",
        event_type=event_type,
        event_date=date(2025, 3, 4),
        episode_id="ep",
        verified_at=datetime(2025, 3, 5, tzinfo=UTC),
        contract_id=TERMS.contract_id,
        lot_id=None,
        unit_price_cents=240_000,
        pseudonym=WHO,
        home_municipality_code="398",
        tier=BenefitDaysTier.T4,
        partial_work_ability=False,
    )
    job = outcome_type(category=Category.EMPLOYMENT, component=PaymentComponent.A)
    keys = {OutcomeKey(pseudonym=WHO, outcome_type=job, episode_id="ep")} if paid else set()
    return compute_event_lines(
        contract=TERMS,
        event=event,
        participant_committed_cents=committed,
        contract_committed_cents=450_000,
        paid_keys=keys,
        claims={},
    ).lines


@pytest.mark.parametrize(
    ("event_type", "paid", "committed", "kinds"),
    [
        (OutcomeEventType.SERVICE_START, False, 0, ["start_fee", "start_fee_withheld", "ineligible"]),
        (OutcomeEventType.EMPLOYMENT_START, False, 250_000, ["outcome", "ineligible"]),
        (OutcomeEventType.EMPLOYMENT_START, True, 0, ["ineligible"]),
    ],
)
def test_every_line_rebuilds_to_its_trace_id(
    event_type: OutcomeEventType, paid: bool, committed: int, kinds: list[str]
) -> None:
    computed = lines(event_type, paid=paid, committed=committed)
    assert [line.kind.value for line in computed] == kinds
    for line in computed:
        stored = compact_trace(line.trace)
        assert stored is not None and stored["form"] == COMPACT_FORM
        assert len(canonical_trace(stored)[0]) * 4 < len(canonical_trace(line.trace)[0])
        rebuilt = full_trace(stored=stored, row=row_of(line), terms_of=lambda key: TERMS)
        assert rebuilt == line.trace


def test_a_changed_input_or_term_is_refused() -> None:
    line = lines(OutcomeEventType.EMPLOYMENT_START, paid=False, committed=0)[0]
    stored = compact_trace(line.trace)
    assert stored is not None
    with pytest.raises(TraceMismatch):
        full_trace(
            stored={**stored, "contract_committed_cents": 1}, row=row_of(line), terms_of=lambda key: TERMS
        )
    with pytest.raises(TraceMismatch):
        full_trace(
            stored=stored, row={**row_of(line), "unit_amount_cents": 239_999}, terms_of=lambda key: TERMS
        )
    smaller = replace(TERMS, awarded_value_cents=499_999)
    with pytest.raises(TraceMismatch):
        full_trace(stored=stored, row=row_of(line), terms_of=lambda key: smaller)


def test_a_settlement_trace_is_stored_whole() -> None:
    assert compact_trace({"rule": "flow_through_settlement", "x": 1}) is None
    assert full_trace(stored={"rule": "flow_through_settlement"}, row={}, terms_of=lambda key: TERMS) == {
        "rule": "flow_through_settlement"
    }


def test_the_snapshot_keeps_the_model_exactly() -> None:
    model = replace(MODEL, withhold_bp=1500, rule_version="payments-test")
    assert payment_model_of(model_data(model), category="EMPLOYMENT") == model
