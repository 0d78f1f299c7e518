"""The pure parts of payment periods (no database): months, the state machine, corrections, grouping."""

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest

from outcomes.payments.basis import ExportFormat
from outcomes.payments.compute import Work, independent_groups
from outcomes.payments.contract_terms import payment_model_of
from outcomes.payments.ledger import Ledger
from outcomes.payments.lines import LineKind, PaymentEvent, trace_digest
from outcomes.payments.model import default_payment_model
from outcomes.payments.period_rules import (
    EXPORT_FORMATS,
    LINE_KINDS,
    PERIOD_MACHINE,
    Month,
    batch_id,
    correction_of,
    has_ended,
    parse_month,
)
from outcomes.payments.rows import canonical_trace, raw_row
from outcomes.tracking.rules import BenefitDaysTier, Category, OutcomeEventType
from procurement.core.errors import IllegalTransition, InvalidInput


def test_months() -> None:
    assert parse_month("2026-02") == Month(2026, 2)
    assert (Month(2024, 2).first_day, Month(2024, 2).last_day) == (date(2024, 2, 1), date(2024, 2, 29))
    assert has_ended(Month(2026, 10), today=date(2026, 11, 1)) is True
    assert has_ended(Month(2026, 10), today=date(2026, 10, 31)) is False
    for bad in ("2026-13", "2026-1", "26-01", "1999-12", "2026-00"):
        with pytest.raises(InvalidInput):
            parse_month(bad)
    assert batch_id(authority_business_id="0123456-7", month=Month(2026, 3)) == "0123456-7-2026-03"


def test_state_machine_and_names_agree_with_the_rest() -> None:
    PERIOD_MACHINE.check("open", "closed")
    PERIOD_MACHINE.check("closed", "approved")
    PERIOD_MACHINE.check("approved", "exported")
    for current, target in (
        ("open", "approved"),
        ("closed", "closed"),
        ("exported", "exported"),
        ("approved", "open"),
    ):
        with pytest.raises(IllegalTransition):
            PERIOD_MACHINE.check(current, target)
    assert tuple(f.value for f in ExportFormat) == EXPORT_FORMATS
    assert set(LINE_KINDS) == {k.value for k in LineKind} | {"clawback", "correction"}


def _line(kind: str, status: str, amount: int) -> dict[str, object]:
    return {
        "id": 7,
        "period_id": "p",
        "kind": kind,
        "status": status,
        "amount_cents": amount,
        "committed_delta_cents": amount,
        "trace_id": "t" * 64,
        "rule_version": "payments-2025.1",
    }


def test_corrections_reverse_a_line_and_a_settled_withhold_only_as_far_as_released() -> None:
    paid = correction_of(
        line=_line("outcome", "payable", 36_000),
        event_state="awaiting_clawback",
        event_reason="x",
        release_ratio=None,
    )
    assert (paid.kind, paid.status, paid.amount_cents, paid.committed_delta_cents) == (
        "clawback",
        "payable",
        -36_000,
        -36_000,
    )
    held = correction_of(
        line=_line("start_fee_withheld", "withheld", 7_201),
        event_state="voided",
        event_reason=None,
        release_ratio=None,
    )
    assert (held.kind, held.status, held.amount_cents) == ("correction", "withheld", -7_201)
    # 7 201 × 9/10 = 6 480.9 -> 6 481 was released and is taken back; the 720 of malus never was paid.
    settled = correction_of(
        line=_line("start_fee_withheld", "withheld", 7_201),
        event_state="awaiting_clawback",
        event_reason=None,
        release_ratio=Fraction(9, 10),
    )
    assert (settled.status, settled.amount_cents, settled.committed_delta_cents) == (
        "payable",
        -6_481,
        -6_481,
    )
    assert settled.trace["release_ratio"] == "9/10" and settled.trace["corrects"]["line_id"] == 7


def test_canonical_trace_is_the_digest_of_the_rules_and_copy_text_is_escaped() -> None:
    trace = {"b": [1, {"z": None, "a": True}], "a": 'ä"\\x\n\t', "c": -(2**70)}
    text, digest = canonical_trace(trace)
    assert digest == trace_digest(trace)
    row = raw_row({"trace": trace, "reason": "tab\there", "line_key": "k", "amount_cents": -5})
    fields = row.rstrip("\n").split("\t")
    assert "\\\\x\\\\n\\\\t" in fields[25] and fields[20] == "tab\\there" and fields[17] == "-5"
    assert fields[26] == digest and text.startswith('{"a":"ä')


def test_payment_model_json_round_trips_and_defaults_fill_gaps() -> None:
    model = payment_model_of(
        {
            "components": [{"code": "start", "share_bp": 5000}, {"code": "outcome_a", "share_bp": 5000}],
            "tier_multipliers_bp": {"T1": 7500, "T2": 10_000, "T3": 12_000, "T4": 14_000},
            "withhold_bp": 500,
        },
        category="EMPLOYMENT",
    )
    assert [(c.value, s) for c, s in model.shares_bp] == [("start", 5000), ("outcome_a", 5000)]
    assert (model.withhold_bp, model.ft_target_bp, model.min_cohort_starts) == (500, 8000, 20)
    assert payment_model_of({}, category="INCLUSION") == default_payment_model(category=Category.INCLUSION)


def _event(n: int, contract_id: str, pseudonym: str) -> PaymentEvent:
    return PaymentEvent(
        event_id=f"e{n}",
        event_type=OutcomeEventType.SERVICE_START,
        event_date=date(2026, 1, 1),
        episode_id="ep",
        verified_at=datetime(2026, 1, 2, tzinfo=UTC),
        contract_id=contract_id,
        lot_id="l",
        unit_price_cents=1,
        pseudonym=pseudonym,
        home_municipality_code="398",
        tier=BenefitDaysTier.T2,
        partial_work_ability=False,
    )


def test_independent_groups_join_contracts_only_through_people_within_a_category() -> None:
    model = default_payment_model(category=Category.EMPLOYMENT)
    from outcomes.payments.model import ContractTerms

    keys = ("a", "b", "c", "d", "e")
    terms = {k: ContractTerms(contract_id=k, awarded_value_cents=1, model=model) for k in keys}
    category = {"a": "EMPLOYMENT", "b": "EMPLOYMENT", "c": "COMPETENCE", "d": "INCLUSION", "e": "COMPETENCE"}
    # p links a and b (one category) but not d (another); q's two COMPETENCE contracts are linked.
    events = [
        _event(1, "a", "p"),
        _event(2, "b", "p"),
        _event(3, "d", "p"),
        _event(4, "c", "q"),
        _event(5, "e", "q"),
    ]
    work = Work(terms=terms, contexts={}, events=events, ledger=Ledger())
    assert independent_groups(work, category_of=category) == [["a", "b"], ["c", "e"], ["d"]]
