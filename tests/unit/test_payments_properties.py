"""Hypothesis properties of the payment rules: caps hold, parts add up, same input same output."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.payments.model import ContractTerms, default_payment_model
from outcomes.payments.rules import (
    BatchLines,
    ContractEvent,
    LineKind,
    LineStatus,
    Participant,
    VerifiedEvent,
    compute_lines,
)
from outcomes.payments.settlement import CohortStart, FlowThroughCount, plan_cohorts, settle_cohort
from outcomes.tracking.rules import BenefitDaysTier, Category, allowed_event_types
from procurement.core.money import round_half_up

FAST = settings(max_examples=100, deadline=None)
DAY0 = date(2025, 1, 1)


@dataclass(frozen=True)
class Scenario:
    contracts: list[ContractTerms]
    participants: list[Participant]
    events: list[ContractEvent]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    contracts = []
    for i in range(draw(st.integers(1, 3))):
        model = replace(
            default_payment_model(category=draw(st.sampled_from(list(Category)))),
            # Caps below 1.0 × P bind often, so the property sees them bite.
            participant_cap_bp=draw(st.integers(0, 15_000)),
            withhold_bp=draw(st.integers(0, 10_000)),
        )
        contracts.append(
            ContractTerms(
                contract_id=f"C{i}",
                unit_price_cents=draw(st.integers(0, 1_000_000)),
                awarded_value_cents=draw(st.integers(0, 3_000_000)),
                model=model,
            )
        )
    participants = [
        Participant(
            pseudonym=f"P{i}",
            home_municipality_code=draw(st.sampled_from(["016", "098", "398"])),
            tier=draw(st.sampled_from(list(BenefitDaysTier))),
            partial_work_ability=draw(st.booleans()),
        )
        for i in range(draw(st.integers(1, 4)))
    ]
    events = []
    for i in range(draw(st.integers(0, 25))):
        terms = draw(st.sampled_from(contracts))
        types = sorted(allowed_event_types(category=terms.model.category))
        events.append(
            ContractEvent(
                contract_id=terms.contract_id,
                pseudonym=draw(st.sampled_from(participants)).pseudonym,
                event=VerifiedEvent(
                    event_id=f"E{i:02d}",
                    event_type=draw(st.sampled_from(types)),
                    event_date=DAY0 + timedelta(days=draw(st.integers(0, 30))),  # same-day clashes on purpose
                    episode_id=draw(st.sampled_from(["ep1", "ep2"])),
                ),
            )
        )
    return Scenario(contracts, participants, events)


def run(scenario: Scenario) -> BatchLines:
    return compute_lines(
        contracts=scenario.contracts, participants=scenario.participants, events=scenario.events
    )


@FAST
@given(scenarios())
def test_caps_are_never_exceeded(scenario: Scenario) -> None:
    batch = run(scenario)
    per_participant: Counter[tuple[str, str]] = Counter()
    per_contract: Counter[str] = Counter()
    for line in batch.lines:
        assert line.amount_cents >= 0 and line.unpaid_cents >= 0
        per_participant[(line.contract_id, line.pseudonym or "")] += line.committed_delta_cents
        per_contract[line.contract_id] += line.committed_delta_cents
    terms = {c.contract_id: c for c in scenario.contracts}
    people = {p.pseudonym: p for p in scenario.participants}
    for (contract_id, pseudonym), total in per_participant.items():
        model = terms[contract_id].model
        person = people[pseudonym]
        multiplier = model.multiplier_bp(tier=person.tier, partial_work_ability=person.partial_work_ability)
        cap = round_half_up(
            terms[contract_id].unit_price_cents * model.participant_cap_bp * multiplier / Fraction(10**8)
        )
        assert total <= cap
    for contract_id, total in per_contract.items():
        assert total <= terms[contract_id].awarded_value_cents
    assert {k: v for k, v in per_contract.items() if v} == dict(batch.ledger.contract_committed_cents)


@FAST
@given(scenarios())
def test_every_event_amount_is_paid_or_recorded_and_splits_add_up(scenario: Scenario) -> None:
    batch = run(scenario)
    by_event = defaultdict(list)
    for line in batch.lines:
        by_event[(line.contract_id, line.event_id)].append(line)
    for lines in by_event.values():
        gross = lines[0].trace["rounded_cents"]
        assert sum(line.amount_cents + line.unpaid_cents for line in lines) == gross
        start_parts = [
            line for line in lines if line.kind in (LineKind.START_FEE, LineKind.START_FEE_WITHHELD)
        ]
        if start_parts:
            split = start_parts[0].trace["split"]
            assert sum(split["parts_cents"]) == split["total_cents"] == lines[0].trace["allowed_cents"]
            assert sum(line.amount_cents for line in start_parts) == split["total_cents"]
        for line in lines:
            assert (line.status is LineStatus.NOT_PAYABLE) == (line.kind is LineKind.INELIGIBLE)
            assert (line.amount_cents == 0) or line.status is not LineStatus.NOT_PAYABLE


@FAST
@given(scenarios())
def test_an_outcome_is_paid_once_across_contracts(scenario: Scenario) -> None:
    batch = run(scenario)
    paid = Counter(line.outcome_key for line in batch.lines if line.kind is LineKind.OUTCOME)
    assert all(count == 1 for key, count in paid.items() if key is not None)
    assert set(paid) == set(batch.ledger.paid_keys)


@FAST
@given(scenarios(), st.randoms(use_true_random=False))
def test_same_input_same_lines_whatever_the_order(scenario: Scenario, rnd: random.Random) -> None:
    first = run(scenario)
    shuffled = Scenario(
        contracts=rnd.sample(scenario.contracts, len(scenario.contracts)),
        participants=rnd.sample(scenario.participants, len(scenario.participants)),
        events=rnd.sample(scenario.events, len(scenario.events)),
    )
    again = run(shuffled)
    assert again.lines == first.lines
    assert [line.trace_id for line in again.lines] == [line.trace_id for line in first.lines]
    assert again.ledger == first.ledger


@FAST
@given(
    st.lists(
        st.tuples(st.sampled_from(["016", "098", "398"]), st.integers(0, 20_000), st.integers(0, 200)),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 40).flatmap(lambda d: st.tuples(st.integers(0, max(d, 1)), st.just(max(d, 1)))),
    st.integers(0, 10_000_000),
    st.integers(0, 5_000_000),
    st.integers(0, 5_000_000),
    st.integers(1, 9_999),
)
def test_settlement_parts_add_up_and_bonus_is_capped(
    raw_starts: list[tuple[str, int, int]],
    ft: tuple[int, int],
    outcome_fees: int,
    ceiling: int,
    committed: int,
    target_bp: int,
) -> None:
    model = replace(default_payment_model(category=Category.INCLUSION), ft_target_bp=target_bp)
    terms = ContractTerms(contract_id="C", unit_price_cents=100_000, awarded_value_cents=ceiling, model=model)
    starts = [
        CohortStart(
            event_id=f"s{i:02d}",
            pseudonym=f"p{i:02d}",
            home_municipality_code=code,
            start_date=DAY0 + timedelta(days=day),
            withheld_cents=withheld,
        )
        for i, (code, withheld, day) in enumerate(raw_starts)
    ]
    settlement_date = date(2026, 12, 31)
    cohorts = plan_cohorts(model=model, starts=starts, settlement_date=settlement_date, contract_closed=True)
    assert sum(len(c.starts) for c in cohorts) == len(starts)
    for cohort in cohorts:
        settled = settle_cohort(
            contract=terms,
            cohort=cohort,
            flow_through=FlowThroughCount(qualified=ft[0], denominator=ft[1]),
            outcome_fees_cents=outcome_fees,
            contract_committed_cents=committed,
            settlement_date=settlement_date,
        )
        assert settled.release_cents + settled.malus_cents == cohort.withheld_cents
        assert 0 <= settled.release_cents <= cohort.withheld_cents
        assert 0 <= settled.bonus_cents <= round_half_up(outcome_fees * model.bonus_cap_bp / Fraction(10_000))
        assert committed - settled.malus_cents + settled.bonus_cents <= max(
            ceiling, committed - settled.malus_cents
        )
        by_kind: Counter[LineKind] = Counter()
        for line in settled.lines:
            by_kind[line.kind] += line.amount_cents + line.unpaid_cents
        assert by_kind[LineKind.WITHHOLD_RELEASE] == settled.release_cents
        assert by_kind[LineKind.MALUS] == settled.malus_cents
        assert by_kind[LineKind.BONUS] == settled.bonus_cents
        assert by_kind[LineKind.INELIGIBLE] == settled.bonus_over_ceiling_cents
        assert sum(line.committed_delta_cents for line in settled.lines) == settled.committed_delta_cents
