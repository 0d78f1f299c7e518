"""Hypothesis properties of the payment rules: caps hold, parts add up, same input same output."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.payments.bonus import FeeLine
from outcomes.payments.ledger import BatchLines
from outcomes.payments.lines import LineKind, LineStatus, Reason
from outcomes.payments.model import default_payment_model
from outcomes.payments.settlement import CohortStart, StartVerdict, plan_cohorts, settle_cohort
from outcomes.tracking.rules import BenefitDaysTier, Category, allowed_event_types
from procurement.core.money import round_half_up
from tests.factories.payment_events import Claim, Deal, Person, deal, run

FAST = settings(max_examples=100, deadline=None)
DAY0 = date(2025, 1, 1)


@dataclass(frozen=True)
class Scenario:
    contracts: list[Deal]
    participants: list[Person]
    events: list[Claim]


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
            deal(
                contract_id=f"C{i}",
                price=draw(st.integers(0, 1_000_000)),
                ceiling=draw(st.integers(0, 3_000_000)),
                model=model,
            )
        )
    participants = [
        Person(
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
        types = sorted(allowed_event_types(category=terms.terms.model.category))
        day = DAY0 + timedelta(days=draw(st.integers(0, 30)))  # same-day clashes on purpose
        events.append(
            Claim(
                contract_id=terms.contract_id,
                pseudonym=draw(st.sampled_from(participants)).pseudonym,
                event_id=f"E{i:02d}",
                event_type=draw(st.sampled_from(types)),
                on=day,
                episode=draw(st.sampled_from(["ep1", "ep2"])),
                # Verified out of date order, and sometimes at the same moment as another claim.
                verified_at=datetime.combine(
                    DAY0 + timedelta(days=draw(st.integers(0, 10))), time(12), tzinfo=UTC
                ),
            )
        )
    return Scenario(contracts, participants, events)


def compute(scenario: Scenario) -> BatchLines:
    return run(scenario.contracts, scenario.participants, scenario.events)


@FAST
@given(scenarios())
def test_caps_are_never_exceeded(scenario: Scenario) -> None:
    batch = compute(scenario)
    per_participant: Counter[tuple[str, str]] = Counter()
    per_contract: Counter[str] = Counter()
    for line in batch.lines:
        assert line.amount_cents >= 0 and line.unpaid_cents >= 0
        per_participant[(line.contract_id, line.pseudonym or "")] += line.committed_delta_cents
        per_contract[line.contract_id] += line.committed_delta_cents
    terms = {c.contract_id: c for c in scenario.contracts}
    people = {p.pseudonym: p for p in scenario.participants}
    for (contract_id, pseudonym), total in per_participant.items():
        model = terms[contract_id].terms.model
        person = people[pseudonym]
        multiplier = model.multiplier_bp(tier=person.tier, partial_work_ability=person.partial_work_ability)
        cap = round_half_up(
            terms[contract_id].price * model.participant_cap_bp * multiplier / Fraction(10**8)
        )
        assert total <= cap
    for contract_id, total in per_contract.items():
        assert total <= terms[contract_id].terms.awarded_value_cents
    assert {k: v for k, v in per_contract.items() if v} == {
        k: v for k, v in batch.ledger.contract_cents.items() if v
    }


@FAST
@given(scenarios())
def test_every_event_amount_is_paid_or_recorded_and_splits_add_up(scenario: Scenario) -> None:
    batch = compute(scenario)
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
            # Every line recomputes on its own from its base, rate and deduction.
            value = (
                round_half_up(Fraction(line.base_cents * line.rate_num, line.rate_den)) - line.deducted_cents
            )
            assert value == line.amount_cents + line.unpaid_cents


@FAST
@given(scenarios())
def test_an_outcome_is_paid_once_across_contracts(scenario: Scenario) -> None:
    batch = compute(scenario)
    paid = Counter(line.outcome_key for line in batch.lines if line.kind is LineKind.OUTCOME)
    assert all(count == 1 for key, count in paid.items() if key is not None)
    assert set(paid) == set(batch.ledger.paid_keys) == set(batch.ledger.claims)
    # Of claims of one outcome, the one verified first is paid: a claim refused as already paid always
    # comes after (verification moment, event date, id) the claim that was paid.
    order = {c.event_id: (c.verified_at, c.on, c.event_id, c.contract_id) for c in scenario.events}
    paid_by = {line.outcome_key: line.event_id for line in batch.lines if line.kind is LineKind.OUTCOME}
    for line in batch.lines:
        if line.reason is Reason.ALREADY_PAID:
            assert order[paid_by[line.outcome_key]] < order[line.event_id]


@FAST
@given(scenarios(), st.randoms(use_true_random=False))
def test_same_input_same_lines_whatever_the_order(scenario: Scenario, rnd: random.Random) -> None:
    first = compute(scenario)
    shuffled = Scenario(
        contracts=rnd.sample(scenario.contracts, len(scenario.contracts)),
        participants=rnd.sample(scenario.participants, len(scenario.participants)),
        events=rnd.sample(scenario.events, len(scenario.events)),
    )
    again = compute(shuffled)
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
    st.integers(0, 40),
    st.lists(st.integers(0, 500_000), max_size=30),
    st.integers(0, 5_000_000),
    st.integers(0, 5_000_000),
    st.integers(1, 9_999),
)
def test_settlement_parts_add_up_and_bonus_is_capped(
    raw_starts: list[tuple[str, int, int]],
    qualified: int,
    fees: list[int],
    ceiling: int,
    committed: int,
    target_bp: int,
) -> None:
    model = replace(default_payment_model(category=Category.INCLUSION), ft_target_bp=target_bp)
    terms = deal(contract_id="C", price=100_000, ceiling=ceiling, model=model).terms
    starts = [
        CohortStart(
            event_id=f"s{i:02d}",
            referral_id=f"r{i:02d}",
            lot_id=None,
            pseudonym=f"p{i:02d}",
            home_municipality_code=code,
            start_date=DAY0 + timedelta(days=day),
            episode_id=f"e{i:02d}",
            unit_price_cents=100_000,
            withheld_cents=withheld,
        )
        for i, (code, withheld, day) in enumerate(raw_starts)
    ]
    settlement_date = date(2026, 12, 31)
    cohorts = plan_cohorts(model=model, starts=starts, settlement_date=settlement_date, contract_closed=True)
    assert sum(len(c.starts) for c in cohorts) == len(starts)
    for cohort in cohorts:
        verdicts = {
            s.referral_id: StartVerdict.QUALIFIED if i < qualified else StartVerdict.NOT_QUALIFIED
            for i, s in enumerate(cohort.starts)
        }
        fee_lines = [
            FeeLine(
                contract_id="C",
                event_id=f"f{i:02d}",
                event_type="step_up_held_30_days",
                event_date=DAY0,
                episode_id=f"e{i % len(cohort.starts):02d}",
                pseudonym=cohort.starts[i % len(cohort.starts)].pseudonym,
                home_municipality_code="398",
                unit_price_cents=100_000,
                multiplier_bp=10_000,
                component="outcome_a",
                fee_cents=cents,
                cohort="C/cohort:x",
            )
            for i, cents in enumerate(fees)
        ]
        settled = settle_cohort(
            contract=terms,
            cohort=cohort,
            verdicts=verdicts,
            fees=fee_lines,
            participant_committed_cents={},
            contract_committed_cents=committed,
            settlement_date=settlement_date,
            ft_cutoff=settlement_date - timedelta(days=35),
        )
        assert settled is not None
        assert settled.release_cents + settled.malus_cents == cohort.withheld_cents
        assert 0 <= settled.release_cents <= cohort.withheld_cents
        assert (
            0
            <= settled.bonus_cents
            <= sum(round_half_up(c * model.bonus_cap_bp / Fraction(10_000)) for c in fees)
        )
        assert committed - settled.malus_cents + settled.bonus_cents <= max(
            ceiling, committed - settled.malus_cents
        )
        for line in settled.lines:
            value = (
                round_half_up(Fraction(line.base_cents * line.rate_num, line.rate_den)) - line.deducted_cents
            )
            assert value == line.amount_cents + line.unpaid_cents
        assert sum(line.committed_delta_cents for line in settled.lines) == settled.committed_delta_cents
