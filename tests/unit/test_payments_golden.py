"""Hand-solvable payment cases checked to the cent; the anchors §6.5 worked example is the golden case."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from outcomes.payments.bonus import FeeLine
from outcomes.payments.ledger import BatchLines, compute_lines
from outcomes.payments.lines import LineKind, LineStatus, PaymentLine, Reason
from outcomes.payments.model import PaymentModel, PaymentRuleError, default_payment_model
from outcomes.payments.settlement import (
    CohortStart,
    CohortStatus,
    StartVerdict,
    plan_cohorts,
    settle_cohort,
)
from outcomes.tracking.rules import BenefitDaysTier, Category, OutcomeEventType
from tests.factories.payment_events import Claim, Deal, Person, deal, payment_events, run

ET = OutcomeEventType
T = BenefitDaysTier
EMPLOYMENT = default_payment_model(category=Category.EMPLOYMENT)
Q1 = date(2025, 1, 1)


def contract(
    *,
    contract_id: str = "C1",
    price: int = 240_000,
    ceiling: int = 100_000_000,
    model: PaymentModel = EMPLOYMENT,
) -> Deal:
    return deal(contract_id=contract_id, price=price, ceiling=ceiling, model=model)


def event(
    *, contract_id: str, pseudonym: str, event_id: str, event_type: OutcomeEventType, on: date, episode: str
) -> Claim:
    return Claim(
        contract_id=contract_id,
        pseudonym=pseudonym,
        event_id=event_id,
        event_type=event_type,
        on=on,
        episode=episode,
    )


def summary(lines: Iterable[PaymentLine]) -> list[tuple[str, str, str, int, int, str | None]]:
    return [
        (
            line.event_id or "",
            line.kind.value,
            line.status.value,
            line.amount_cents,
            line.unpaid_cents,
            line.reason.value if line.reason else None,
        )
        for line in lines
    ]


def assert_json_safe(value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            assert_json_safe(item)
    elif isinstance(value, list):
        for item in value:
            assert_json_safe(item)
    else:
        assert value is None or type(value) in (str, int, bool), f"not JSON-safe: {value!r}"


# --- The §6.5 worked example ----------------------------------------------------------------

TIERS = ((T.T1, 30, 54_000), (T.T2, 50, 72_000), (T.T4, 20, 100_800))  # start fee per tier at P = 2 400 €


def worked_example_starts() -> tuple[Deal, BatchLines]:
    """100 starts in 2025 Q1 on one EMPLOYMENT contract at P = 2 400 €: 30 T1, 50 T2, 20 T4."""
    terms = contract(ceiling=48_000_000)
    participants: list[Person] = []
    events: list[Claim] = []
    for tier, count, _ in TIERS:
        for _ in range(count):
            n = len(participants)
            participants.append(Person(pseudonym=f"p{n:03d}", home_municipality_code="398", tier=tier))
            events.append(
                event(
                    contract_id="C1",
                    pseudonym=f"p{n:03d}",
                    event_id=f"s{n:03d}",
                    event_type=ET.SERVICE_START,
                    on=Q1 + timedelta(days=n * 89 // 99),  # 1 Jan … 31 Mar
                    episode=f"ep{n:03d}",
                )
            )
    return terms, run([terms], participants, events)


def test_worked_example_start_fees_and_withhold() -> None:
    _, batch = worked_example_starts()
    by_tier: dict[tuple[int | None, LineKind], set[int]] = {}
    for line in batch.lines:
        assert line.kind in (LineKind.START_FEE, LineKind.START_FEE_WITHHELD)
        by_tier.setdefault((line.multiplier_bp, line.kind), set()).add(line.amount_cents)
    # One start fee per tier, split 90/10: T1 540 €, T2 720 €, T4 1 008 €.
    assert by_tier == {
        (7500, LineKind.START_FEE): {48_600},
        (7500, LineKind.START_FEE_WITHHELD): {5_400},
        (10_000, LineKind.START_FEE): {64_800},
        (10_000, LineKind.START_FEE_WITHHELD): {7_200},
        (14_000, LineKind.START_FEE): {90_720},
        (14_000, LineKind.START_FEE_WITHHELD): {10_080},
    }
    assert sum(line.amount_cents for line in batch.lines) == 7_236_000  # 72 360 €
    withheld = sum(line.amount_cents for line in batch.lines if line.status is LineStatus.WITHHELD)
    assert withheld == 723_600  # 7 236 €
    assert batch.ledger.contract_cents == {"C1": 7_236_000}


def ten_times_example() -> tuple[Deal, BatchLines]:
    """The §6.5 example at 10× its 100 starts, where every count is whole, all starts in 2025 Q1."""
    terms = contract(ceiling=10**9)
    # tier, starts, job starts (55/40/25 %), 3 months (80 % of those), 6 months (75 % of those)
    plan = ((T.T1, 300, 165, 132, 99), (T.T2, 500, 200, 160, 120), (T.T4, 200, 50, 40, 30))
    participants: list[Person] = []
    events: list[Claim] = []
    for tier, starts, jobs, three, six in plan:
        for i in range(starts):
            p = f"{tier.value}-{i:03d}"
            participants.append(Person(pseudonym=p, home_municipality_code="098", tier=tier))
            steps = [(ET.SERVICE_START, i % 89)]
            steps += [(ET.EMPLOYMENT_START, 100)] if i < jobs else []
            steps += [(ET.EMPLOYED_3_MONTHS, 190)] if i < three else []
            steps += [(ET.EMPLOYED_6_MONTHS, 280)] if i < six else []
            for event_type, day in steps:
                events.append(
                    event(
                        contract_id="C1",
                        pseudonym=p,
                        event_id=f"{p}/{event_type.value}",
                        event_type=event_type,
                        on=Q1 + timedelta(days=day),
                        episode=f"{p}/ep",
                    )
                )
    return terms, run([terms], participants, events)


def test_worked_example_outcome_fees_at_ten_times_scale() -> None:
    """At 10× the doc's 100 starts every count is whole: the outcome fees are 10 × 50 085 €."""
    _, batch = ten_times_example()
    outcome = sum(line.amount_cents for line in batch.lines if line.kind is LineKind.OUTCOME)
    start = sum(line.amount_cents for line in batch.lines if line.kind is not LineKind.OUTCOME)
    assert start == 72_360_000  # 10 × 72 360 €
    assert outcome == 50_085_000  # 10 × 50 085 €
    assert (start + outcome) // 1000 == 122_445  # ≈ 1 224 € per start at target


def cohort_starts(batch: BatchLines) -> list[CohortStart]:
    """Each start of a batch with its withheld part, as the close reads them back (referral = pseudonym)."""
    return [
        CohortStart(
            event_id=line.event_id,
            referral_id=line.pseudonym,
            lot_id=None,
            pseudonym=line.pseudonym,
            home_municipality_code=line.home_municipality_code,
            start_date=line.event_date,
            episode_id=line.episode_id,
            unit_price_cents=line.unit_price_cents,
            withheld_cents=line.amount_cents,
        )
        for line in batch.lines
        if line.kind is LineKind.START_FEE_WITHHELD
    ]


def fee_lines(batch: BatchLines) -> list[FeeLine]:
    """The outcome fees of a batch, in line order."""
    return [
        FeeLine(
            contract_id=line.contract_id,
            event_id=line.event_id,
            event_type=line.event_type,
            event_date=line.event_date,
            episode_id=line.episode_id,
            pseudonym=line.pseudonym,
            home_municipality_code=line.home_municipality_code,
            unit_price_cents=line.unit_price_cents,
            multiplier_bp=line.multiplier_bp or 0,
            component=line.component,
            fee_cents=line.amount_cents,
            cohort="C1/cohort:2025Q1",
        )
        for line in batch.lines
        if line.kind is LineKind.OUTCOME
    ]


def verdicts(starts: list[CohortStart], qualified: int) -> dict[str, StartVerdict]:
    """The first ``qualified`` starts found a next step in time, the others did not."""
    return {
        s.referral_id: StartVerdict.QUALIFIED if i < qualified else StartVerdict.NOT_QUALIFIED
        for i, s in enumerate(starts)
    }


@pytest.mark.parametrize(
    ("qualified", "release", "malus"),
    [
        (72, 651_240, 72_360),  # FT 0.72: 7 236 × 0.72/0.80 released, 723.60 € malus
        (80, 723_600, 0),  # FT 0.80: neutral
        (88, 723_600, 0),  # FT 0.88: all released (and a bonus, see below)
    ],
)
def test_worked_example_settlement(qualified: int, release: int, malus: int) -> None:
    terms, batch = worked_example_starts()
    starts = cohort_starts(batch)
    # Last start 31 March + 90 days + 35 days of data lag = 3 August.
    assert plan_cohorts(model=EMPLOYMENT, starts=starts, settlement_date=date(2025, 8, 2))[0].status is (
        CohortStatus.IMMATURE
    )
    (cohort,) = plan_cohorts(model=EMPLOYMENT, starts=starts, settlement_date=date(2025, 8, 3))
    assert (cohort.cohort_id, cohort.status, cohort.withheld_cents) == (
        "2025Q1",
        CohortStatus.SETTLEABLE,
        723_600,
    )
    assert cohort.matures_on == date(2025, 8, 3)
    settled = settle_cohort(
        contract=terms.terms,
        cohort=cohort,
        verdicts=verdicts(starts, qualified),
        fees=[],
        participant_committed_cents={},
        contract_committed_cents=batch.ledger.contract_cents["C1"],
        settlement_date=date(2025, 8, 3),
        ft_cutoff=date(2025, 6, 29),
    )
    assert settled is not None
    assert (settled.release_cents, settled.malus_cents, settled.bonus_cents) == (release, malus, 0)
    assert settled.release_cents + settled.malus_cents == settled.withheld_cents == 723_600
    # Per start: T1 54 € withheld, 48.60 € released at FT 0.72; T2 72 € → 64.80 €; T4 100.80 € → 90.72 €.
    by_withheld = {
        (line.base_cents, line.kind.value, line.amount_cents + line.unpaid_cents) for line in settled.lines
    }
    if malus:
        assert by_withheld == {
            (5_400, "withhold_release", 4_860),
            (5_400, "malus", 540),
            (7_200, "withhold_release", 6_480),
            (7_200, "malus", 720),
            (10_080, "withhold_release", 9_072),
            (10_080, "malus", 1_008),
        }
    assert len([line for line in settled.lines if line.kind is LineKind.WITHHOLD_RELEASE]) == 100
    assert {line.home_municipality_code for line in settled.lines} == {"398"}
    assert (
        settled.committed_delta_cents == sum(line.committed_delta_cents for line in settled.lines) == -malus
    )
    assert settled.trace["ft"] == {72: "18/25", 80: "4/5", 88: "22/25"}[qualified]
    assert settled.trace["release_ratio"] == {72: "9/10", 80: "1/1", 88: "1/1"}[qualified]
    for line in settled.lines:
        assert_json_safe(dict(line.trace))


def test_worked_example_bonus_at_ten_times_scale() -> None:
    """FT 0.88: 10 % × (0.88 − 0.80)/(1 − 0.80) = 4 % of every outcome fee: 10 × 2 003.40 € in all."""
    terms, batch = ten_times_example()
    starts = cohort_starts(batch)
    (cohort,) = plan_cohorts(model=EMPLOYMENT, starts=starts, settlement_date=date(2025, 12, 31))
    settled = settle_cohort(
        contract=terms.terms,
        cohort=cohort,
        verdicts=verdicts(starts, 880),
        fees=fee_lines(batch),
        participant_committed_cents={
            pseudonym: cents for (_, pseudonym), cents in batch.ledger.participant_cents.items()
        },
        contract_committed_cents=batch.ledger.contract_cents["C1"],
        settlement_date=date(2025, 12, 31),
        ft_cutoff=date(2025, 11, 26),
    )
    assert settled is not None
    assert settled.trace["bonus_rate"] == "1/25"
    assert (settled.release_cents, settled.malus_cents, settled.bonus_cents) == (7_236_000, 0, 2_003_400)
    bonus = [line for line in settled.lines if line.kind is LineKind.BONUS]
    assert len(bonus) == 996  # one per outcome fee: 415 job starts, 332 three-month and 249 six-month
    # T1's job start fee 270 € brings 10.80 €; T4's six-month fee 1 008 € brings 40.32 €.
    assert {(line.base_cents, line.amount_cents) for line in bonus} >= {(27_000, 1_080), (100_800, 4_032)}
    for line in bonus:
        assert line.amount_cents * 25 == line.base_cents  # exact: no cent is rounded away


# --- Hand-made participants --------------------------------------------------------------------


def test_t3_partial_work_ability_participant_all_components() -> None:
    """T3 (1.2) + partial work ability (0.2) = 1.4 at P = 2 345,67 €."""
    terms = contract(price=234_567)
    person = Person(pseudonym="pA", home_municipality_code="111", tier=T.T3, partial_work_ability=True)
    events = [
        event(
            contract_id="C1",
            pseudonym="pA",
            event_id=f"e{i}",
            event_type=t,
            on=Q1 + timedelta(days=d),
            episode="A1",
        )
        for i, (t, d) in enumerate(
            [
                (ET.SERVICE_START, 0),
                (ET.EMPLOYMENT_START, 30),
                (ET.STUDIES_STARTED, 31),  # feeds flow-through, earns nothing in EMPLOYMENT
                (ET.EMPLOYED_3_MONTHS, 120),
                (ET.EMPLOYED_6_MONTHS, 210),
            ]
        )
    ]
    batch = run([terms], [person], events)
    assert summary(batch.lines) == [
        # 234 567 × 30 % × 1.4 = 98 518.14 -> 98 518, split 88 666.2 / 9 851.8 -> 88 666 + 9 852
        ("e0", "start_fee", "payable", 88_666, 0, None),
        ("e0", "start_fee_withheld", "withheld", 9_852, 0, None),
        ("e1", "outcome", "payable", 49_259, 0, None),  # × 15 % × 1.4 = 49 259.07
        ("e3", "outcome", "payable", 82_098, 0, None),  # × 25 % × 1.4 = 82 098.45
        ("e4", "outcome", "payable", 98_518, 0, None),  # × 30 % × 1.4 = 98 518.14
    ]
    assert {line.multiplier_bp for line in batch.lines} == {14_000}
    assert batch.ledger.participant_cents == {("C1", "pA"): 328_393}
    first = batch.lines[0]
    assert first.trace["raw_cents"] == "4925907/50"
    assert first.trace["multiplier"] == {
        "tier_bp": 12_000,
        "partial_work_ability_bp": 2000,
        "max_bp": 18_000,
        "applied_bp": 14_000,
    }
    assert first.trace["participant_cap"]["cap_cents"] == 394_073  # 234 567 × 1.2 × 1.4 = 394 072.56
    assert first.trace["split"] == {
        "total_cents": 98_518,
        "weights_bp": [9000, 1000],
        "parts_cents": [88_666, 9_852],
    }
    assert first.trace_id != batch.lines[1].trace_id
    assert len(first.trace_id) == 64
    assert first.line_key == "C1/e0/start_fee"
    for line in batch.lines:
        assert_json_safe(dict(line.trace))
        json.dumps(line.trace)


def test_half_cent_rounds_up() -> None:
    terms = contract(price=12_355)
    person = Person(pseudonym="pH", home_municipality_code="398", tier=T.T2)
    start = event(
        contract_id="C1", pseudonym="pH", event_id="s", event_type=ET.SERVICE_START, on=Q1, episode="H"
    )
    batch = run([terms], [person], [start])
    # 12 355 × 30 % = 3 706.5 -> 3 707 (half-up); 3 336.3 / 370.7 -> 3 336 + 371
    assert summary(batch.lines) == [
        ("s", "start_fee", "payable", 3_336, 0, None),
        ("s", "start_fee_withheld", "withheld", 371, 0, None),
    ]
    assert batch.lines[0].trace["raw_cents"] == "7413/2"


def test_capped_participant_over_two_episodes() -> None:
    """T2 at P = 2 400 €: cap 1.2 × 2 400 € = 2 880 €; a second episode on the same contract hits it."""
    terms = contract()
    person = Person(pseudonym="pB", home_municipality_code="098", tier=T.T2)
    plan = [
        ("a", ET.SERVICE_START, 0, "B1"),
        ("b", ET.EMPLOYMENT_START, 20, "B1"),
        ("c", ET.EMPLOYED_3_MONTHS, 110, "B1"),
        ("d", ET.EMPLOYED_6_MONTHS, 200, "B1"),
        ("e", ET.SERVICE_START, 300, "B2"),
        ("f", ET.EMPLOYMENT_START, 320, "B2"),
    ]
    events = [
        event(
            contract_id="C1", pseudonym="pB", event_id=i, event_type=t, on=Q1 + timedelta(days=d), episode=ep
        )
        for i, t, d, ep in plan
    ]
    batch = run([terms], [person], events)
    assert summary(batch.lines) == [
        ("a", "start_fee", "payable", 64_800, 0, None),
        ("a", "start_fee_withheld", "withheld", 7_200, 0, None),
        ("b", "outcome", "payable", 36_000, 0, None),
        ("c", "outcome", "payable", 60_000, 0, None),
        ("d", "outcome", "payable", 72_000, 0, None),
        # 240 000 committed; 48 000 of room left under the 288 000 cap
        ("e", "start_fee", "payable", 43_200, 0, None),
        ("e", "start_fee_withheld", "withheld", 4_800, 0, None),
        ("e", "ineligible", "not_payable", 0, 24_000, "participant cap"),
        ("f", "ineligible", "not_payable", 0, 36_000, "participant cap"),
    ]
    assert batch.ledger.participant_cents[("C1", "pB")] == 288_000
    assert batch.lines[7].trace["participant_cap"] == {
        "cap_bp": 12_000,
        "raw_cents": "288000/1",
        "cap_cents": 288_000,
        "room_cents": 48_000,
    }
    assert batch.lines[7].line_key == "C1/e/ineligible/participant_cap"


def test_duplicate_outcome_across_two_contracts() -> None:
    """Two parallel EMPLOYMENT services in one episode: both starts pay, the job start pays once."""
    a, b = contract(contract_id="A"), contract(contract_id="B", price=200_000)
    person = Person(pseudonym="pC", home_municipality_code="560", tier=T.T1)
    events = [
        event(
            contract_id="A", pseudonym="pC", event_id="a1", event_type=ET.SERVICE_START, on=Q1, episode="C1"
        ),
        event(
            contract_id="B", pseudonym="pC", event_id="b1", event_type=ET.SERVICE_START, on=Q1, episode="C1"
        ),
        event(
            contract_id="A",
            pseudonym="pC",
            event_id="a2",
            event_type=ET.EMPLOYMENT_START,
            on=date(2025, 3, 3),
            episode="C1",
        ),
        # B reports it a day later as self-employment: the same outcome type (job start), same episode.
        event(
            contract_id="B",
            pseudonym="pC",
            event_id="b2",
            event_type=ET.SELF_EMPLOYMENT_START,
            on=date(2025, 3, 4),
            episode="C1",
        ),
        # The same outcome type in a later episode is a new outcome.
        event(
            contract_id="B",
            pseudonym="pC",
            event_id="b3",
            event_type=ET.EMPLOYMENT_START,
            on=date(2025, 9, 1),
            episode="C2",
        ),
    ]
    batch = run([b, a], [person], list(reversed(events)))
    assert summary(batch.lines) == [
        ("a1", "start_fee", "payable", 48_600, 0, None),  # 240 000 × 30 % × 0.75 = 54 000
        ("a1", "start_fee_withheld", "withheld", 5_400, 0, None),
        ("b1", "start_fee", "payable", 40_500, 0, None),  # 200 000 × 30 % × 0.75 = 45 000
        ("b1", "start_fee_withheld", "withheld", 4_500, 0, None),
        ("a2", "outcome", "payable", 27_000, 0, None),  # 240 000 × 15 % × 0.75
        ("b2", "ineligible", "not_payable", 0, 22_500, "already paid"),  # 200 000 × 15 % × 0.75
        ("b3", "outcome", "payable", 22_500, 0, None),
    ]
    assert batch.lines[5].contract_id == "B"
    assert batch.lines[5].committed_delta_cents == 0
    assert batch.lines[5].trace["once_only_key"] == ["pC", "EMPLOYMENT:outcome_a", "C1"]
    assert {(k.pseudonym, k.outcome_type, k.episode_id) for k in batch.ledger.paid_keys} == {
        ("pC", "EMPLOYMENT:outcome_a", "C1"),
        ("pC", "EMPLOYMENT:outcome_a", "C2"),
    }


def test_contract_hitting_its_value_ceiling() -> None:
    """Awarded value 1 000 €: the first start fits, the second is cut, the third is recorded only."""
    terms = contract(ceiling=100_000)
    people = [Person(pseudonym=f"q{i}", home_municipality_code="781", tier=T.T2) for i in range(3)]
    events = [
        event(
            contract_id="C1",
            pseudonym=f"q{i}",
            event_id=f"s{i}",
            event_type=ET.SERVICE_START,
            on=Q1,
            episode=f"D{i}",
        )
        for i in range(3)
    ]
    batch = run([terms], people, events)
    assert summary(batch.lines) == [
        ("s0", "start_fee", "payable", 64_800, 0, None),
        ("s0", "start_fee_withheld", "withheld", 7_200, 0, None),
        ("s1", "start_fee", "payable", 25_200, 0, None),  # 28 000 of room, split 90/10
        ("s1", "start_fee_withheld", "withheld", 2_800, 0, None),
        ("s1", "ineligible", "not_payable", 0, 44_000, "contract value ceiling"),
        ("s2", "ineligible", "not_payable", 0, 72_000, "contract value ceiling"),
    ]
    assert batch.ledger.contract_cents == {"C1": 100_000}
    assert batch.lines[4].trace["contract_ceiling"] == {"room_cents": 28_000}


def start_at(
    i: int, day: date, *, prefix: str = "s", municipality: str = "398", withheld: int = 100
) -> CohortStart:
    return CohortStart(
        event_id=f"{prefix}{i:02d}",
        referral_id=f"{prefix}{i:02d}",
        lot_id=None,
        pseudonym=f"{prefix}{i:02d}",
        home_municipality_code=municipality,
        start_date=day,
        episode_id=f"ep-{prefix}{i:02d}",
        unit_price_cents=240_000,
        withheld_cents=withheld,
    )


def fee(i: int, cents: int, *, prefix: str = "s", municipality: str = "398") -> FeeLine:
    return FeeLine(
        contract_id="C1",
        event_id=f"f{prefix}{i:02d}",
        event_type="employment_start",
        event_date=date(2025, 6, 1),
        episode_id=f"ep-{prefix}{i:02d}",
        pseudonym=f"{prefix}{i:02d}",
        home_municipality_code=municipality,
        unit_price_cents=240_000,
        multiplier_bp=10_000,
        component="outcome_a",
        fee_cents=cents,
        cohort="C1/cohort:2025Q2",
    )


def test_bonus_per_fee_within_the_contract_ceiling() -> None:
    terms = contract(ceiling=1_000_000)
    starts = [
        start_at(
            i, date(2025, 4, 1) + timedelta(days=i), municipality="109" if i < 15 else "082", withheld=7_200
        )
        for i in range(25)
    ]
    (cohort,) = plan_cohorts(model=EMPLOYMENT, starts=starts, settlement_date=date(2025, 12, 31))
    settled = settle_cohort(
        contract=terms.terms,
        cohort=cohort,
        verdicts={s.referral_id: StartVerdict.QUALIFIED for s in starts},
        fees=[
            fee(0, 360_001, municipality="109"),
            fee(1, 400_000, municipality="109"),
            fee(20, 240_000, municipality="082"),
        ],
        participant_committed_cents={},
        contract_committed_cents=950_000,
        settlement_date=date(2025, 12, 31),
        ft_cutoff=date(2025, 11, 26),
    )
    assert settled is not None
    # FT 1: the full withhold is released and every fee brings 10 %: 36 000.1 -> 36 000, then 40 000 of
    # which only 14 000 fits under the ceiling (50 000 of room), then nothing.
    assert (settled.release_cents, settled.malus_cents, settled.bonus_cents) == (180_000, 0, 50_000)
    assert [
        (line.event_id, line.kind.value, line.amount_cents, line.unpaid_cents, line.reason)
        for line in settled.lines
        if line.kind is not LineKind.WITHHOLD_RELEASE
    ] == [
        ("fs00", "bonus", 36_000, 0, None),
        ("fs01", "bonus", 14_000, 0, None),
        ("fs01", "ineligible", 0, 26_000, Reason.CONTRACT_CEILING),
        ("fs20", "ineligible", 0, 24_000, Reason.CONTRACT_CEILING),
    ]
    capped = settled.lines[-2]
    assert (capped.base_cents, capped.rate_num, capped.rate_den, capped.deducted_cents) == (
        40_000,
        1,
        1,
        14_000,
    )
    assert settled.lines[-3].line_key == "C1/fs01/bonus"
    assert settled.lines[-3].trace["inputs"]["bonus_rate"] == settled.trace["bonus_rate"] == "1/10"


def test_cohort_planning_merges_small_quarters_forward() -> None:
    def starts(quarter_start: date, count: int, prefix: str) -> list[CohortStart]:
        return [start_at(i, quarter_start + timedelta(days=i), prefix=prefix) for i in range(count)]

    q1, q2, q3 = (
        starts(date(2025, 1, 1), 12, "a"),
        starts(date(2025, 4, 1), 5, "b"),
        starts(date(2025, 7, 1), 30, "c"),
    )
    plan = plan_cohorts(model=EMPLOYMENT, starts=q3 + q2 + q1, settlement_date=date(2026, 6, 30))
    assert [(c.cohort_id, c.status, len(c.starts), c.withheld_cents) for c in plan] == [
        ("2025Q1+2025Q2+2025Q3", CohortStatus.SETTLEABLE, 47, 4_700)
    ]
    plan = plan_cohorts(model=EMPLOYMENT, starts=q1 + q2 + q3, settlement_date=date(2025, 7, 15))
    assert [(c.cohort_id, c.status) for c in plan] == [
        ("2025Q1+2025Q2", CohortStatus.IMMATURE),
        ("2025Q3", CohortStatus.IMMATURE),
    ]
    plan = plan_cohorts(model=EMPLOYMENT, starts=q1 + q2, settlement_date=date(2026, 1, 1))
    assert [(c.cohort_id, c.status) for c in plan] == [("2025Q1+2025Q2", CohortStatus.TOO_SMALL)]
    plan = plan_cohorts(
        model=EMPLOYMENT, starts=q1 + q2, settlement_date=date(2026, 1, 1), contract_closed=True
    )
    assert [(c.cohort_id, c.status) for c in plan] == [("2025Q1+2025Q2", CohortStatus.SETTLEABLE)]
    with pytest.raises(PaymentRuleError):
        settle_cohort(
            contract=contract().terms,
            cohort=plan_cohorts(model=EMPLOYMENT, starts=q1, settlement_date=date(2026, 1, 1))[0],
            verdicts={},
            fees=[],
            participant_committed_cents={},
            contract_committed_cents=0,
            settlement_date=date(2026, 1, 1),
            ft_cutoff=date(2025, 11, 27),
        )


def test_a_closed_contract_settles_its_matured_remainder_before_an_immature_quarter() -> None:
    """Final settlement: 12 matured Q1 starts settle on their own; Q3's wait until they mature."""
    q1 = [start_at(i, date(2025, 1, 1) + timedelta(days=i), prefix="a") for i in range(12)]
    q3 = [start_at(i, date(2025, 7, 1) + timedelta(days=i), prefix="c") for i in range(3)]
    settlement = date(2025, 9, 30)  # Q1 matured (last start 12.1. + 125 days), Q3 not
    active = plan_cohorts(model=EMPLOYMENT, starts=q1 + q3, settlement_date=settlement)
    assert [(c.cohort_id, c.status) for c in active] == [("2025Q1+2025Q3", CohortStatus.IMMATURE)]
    closed = plan_cohorts(model=EMPLOYMENT, starts=q1 + q3, settlement_date=settlement, contract_closed=True)
    assert [(c.cohort_id, c.status, len(c.starts)) for c in closed] == [
        ("2025Q1", CohortStatus.SETTLEABLE, 12),
        ("2025Q3", CohortStatus.IMMATURE, 3),
    ]
    later = plan_cohorts(
        model=EMPLOYMENT, starts=q3, settlement_date=date(2025, 12, 31), contract_closed=True
    )
    assert [(c.cohort_id, c.status, len(c.starts)) for c in later] == [("2025Q3", CohortStatus.SETTLEABLE, 3)]


def test_default_models_and_configuration() -> None:
    shares = {
        category: [(c.value, s) for c, s in default_payment_model(category=category).shares_bp]
        for category in Category
    }
    assert shares == {
        Category.EMPLOYMENT: [("start", 3000), ("outcome_a", 1500), ("outcome_b", 2500), ("outcome_c", 3000)],
        Category.COMPETENCE: [("start", 4000), ("outcome_a", 3000), ("outcome_b", 3000)],
        Category.INCLUSION: [("start", 5000), ("outcome_a", 2500), ("outcome_b", 2500)],
    }
    assert EMPLOYMENT.multiplier_bp(tier=T.T4, partial_work_ability=True) == 16_000
    assert (
        replace(EMPLOYMENT, partial_work_ability_bp=5000).multiplier_bp(tier=T.T4, partial_work_ability=True)
        == 18_000
    )
    with pytest.raises(PaymentRuleError):
        replace(EMPLOYMENT, shares_bp=EMPLOYMENT.shares_bp[:-1])
    with pytest.raises(PaymentRuleError):
        replace(EMPLOYMENT, ft_target_bp=10_000)
    with pytest.raises(PaymentRuleError):
        compute_lines(
            contracts=[contract().terms],
            events=payment_events(
                [contract()],
                [Person(pseudonym="x", home_municipality_code="398", tier=T.T2)],
                [
                    event(
                        contract_id="C1",
                        pseudonym="x",
                        event_id="e",
                        event_type=ET.SERVICE_START,
                        on=Q1,
                        episode="x",
                    ),
                    event(
                        contract_id="C1",
                        pseudonym="x",
                        event_id="e",
                        event_type=ET.SERVICE_START,
                        on=Q1,
                        episode="x",
                    ),
                ],
            ),
        )


def test_reasons_are_the_documented_texts() -> None:
    assert Reason.ALREADY_PAID.value == "already paid"
