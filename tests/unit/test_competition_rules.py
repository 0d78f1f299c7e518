"""Pure rules of mini-competitions: terms, deadlines, state machines and the canonical bid."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from minicompetition.tender import bid_rules, rules
from procurement.core.errors import Conflict, IllegalTransition, InvalidInput

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 12:00 in Helsinki
LOT = rules.LotTerms(code="LAHTI", municipality_codes=("398",), target_group="youth", demand=10)


def _terms(**changes: object) -> rules.Terms:
    base = rules.Terms(
        title="t",
        description="d",
        budget_cents=1_000_000,
        price_bp=6000,
        quality_bp=1000,
        outcome_bp=3000,
        quality_criteria=(rules.QualityCriterion("METHOD", "m", 10_000),),
        max_suppliers_per_lot=2,
        max_share_bp=6000,
        min_allocation=1,
        payment_model=rules.default_payment_model("EMPLOYMENT"),
        intended_effect="e",
        expected_participants=10,
        expected_cost_cents=900_000,
        expected_outcomes=8,
        qa_deadline=T0 + timedelta(days=5),
        tender_deadline=T0 + timedelta(days=12),
        lots=(LOT,),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _field(exc: pytest.ExceptionInfo[InvalidInput]) -> str:
    return str(exc.value.extra["errors"][0]["field"])


def test_valid_terms_pass() -> None:
    rules.validate_terms(_terms(), category="EMPLOYMENT", allowed_municipalities={"398"})


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price_bp": 6001}, "weights"),
        ({"price_bp": -1, "outcome_bp": 9001}, "weights.price_bp"),
        ({"quality_criteria": ()}, "quality_criteria"),
        ({"quality_criteria": (rules.QualityCriterion("A", "a", 5000),)}, "quality_criteria"),
        ({"lots": ()}, "lots"),
        ({"lots": (replace(LOT, demand=0),)}, "lots[0].demand"),
        ({"lots": (replace(LOT, demand=-3),)}, "lots[0].demand"),
        ({"lots": (LOT, LOT)}, "lots[1].code"),
        ({"lots": (replace(LOT, municipality_codes=("398", "109")),)}, "lots[0].municipality_codes[1]"),
        ({"lots": (replace(LOT, max_unit_price_cents=0),)}, "lots[0].max_unit_price_cents"),
        ({"max_share_bp": 0}, "allocation_rules.max_share_bp"),
        ({"min_allocation": 0}, "allocation_rules.min_allocation"),
        ({"budget_cents": -1}, "budget_cents"),
        ({"expected_outcomes": 11}, "scope.expected_outcomes"),
        ({"qa_deadline": T0 + timedelta(days=13)}, "qa_deadline"),
        (
            {"payment_model": {**rules.default_payment_model("EMPLOYMENT"), "components": []}},
            "payment_model.components",
        ),
    ],
)
def test_each_broken_rule_names_its_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.validate_terms(_terms(**changes), category="EMPLOYMENT", allowed_municipalities={"398"})
    assert _field(exc) == field


def test_default_payment_models_follow_spec_4_5() -> None:
    for category, first in (("EMPLOYMENT", 3000), ("COMPETENCE", 4000), ("INCLUSION", 5000)):
        model = rules.default_payment_model(category)
        shares = [c["share_bp"] for c in model["components"]]
        assert sum(shares) == rules.BP_WHOLE
        assert model["components"][0] == {"code": "start", "share_bp": first}
        rules.validate_payment_model(model, category=category)
    assert len(rules.default_payment_model("EMPLOYMENT")["components"]) == 4


def test_tender_period_is_at_least_the_minimum() -> None:
    rules.check_tender_period(published_at=T0, tender_deadline=T0 + timedelta(days=10), min_days=10)
    with pytest.raises(InvalidInput, match=r"2026-12-03 12:00 Europe/Helsinki or later") as exc:
        rules.check_tender_period(
            published_at=T0, tender_deadline=T0 + timedelta(days=9, hours=23), min_days=10
        )
    assert _field(exc) == "tender_deadline"


def test_amendment_with_too_little_time_must_move_the_deadline() -> None:
    deadline = T0 + timedelta(days=2)
    args = {"db_now": T0, "current_deadline": deadline, "published_at": T0 - timedelta(days=12)}
    # Too late by the clock (a conflict), unless the amendment moves the deadline far enough.
    with pytest.raises(Conflict, match="Only 2 days 0 h remain") as late:
        rules.check_amendment_time(**args, new_deadline=None, min_days_after=3, min_tender_days=10)  # type: ignore[arg-type]
    assert late.value.extra == {"earliest_deadline": (T0 + timedelta(days=3)).isoformat()}
    with pytest.raises(InvalidInput, match="at least 3 days must remain"):
        rules.check_amendment_time(
            **args, new_deadline=T0 + timedelta(days=2, hours=23), min_days_after=3, min_tender_days=10
        )  # type: ignore[arg-type]
    rules.check_amendment_time(
        **args, new_deadline=T0 + timedelta(days=3), min_days_after=3, min_tender_days=10
    )  # type: ignore[arg-type]
    rules.check_amendment_time(
        db_now=T0,
        current_deadline=T0 + timedelta(days=3),
        published_at=T0,
        new_deadline=None,
        min_days_after=3,
        min_tender_days=10,
    )


def test_competition_state_machine() -> None:
    machine = rules.COMPETITION_MACHINE
    for current, target in [
        ("draft", "published"),
        ("published", "closed"),
        ("closed", "opened"),
        ("opened", "evaluated"),
        ("evaluated", "evaluated"),
        ("evaluated", "awarded"),
        ("awarded", "concluded"),
        ("published", "cancelled"),
        ("evaluated", "cancelled"),
    ]:
        machine.check(current, target)
    for current, target in [
        ("awarded", "cancelled"),
        ("published", "opened"),
        ("cancelled", "published"),
        ("draft", "opened"),
    ]:
        with pytest.raises(IllegalTransition, match=f"is '{current}'"):
            machine.check(current, target)


def test_bid_state_machine() -> None:
    rules.BID_MACHINE.check("submitted", "withdrawn")
    rules.BID_MACHINE.check("withdrawn", "submitted")
    rules.BID_MACHINE.check("submitted", "ineligible")
    with pytest.raises(IllegalTransition):
        rules.BID_MACHINE.check("withdrawn", "eligible")
    with pytest.raises(IllegalTransition):
        rules.BID_MACHINE.check("eligible", "withdrawn")


def test_effective_state_closes_at_the_deadline() -> None:
    assert (
        rules.effective_state(state="published", tender_deadline=T0, now=T0 - timedelta(seconds=1))
        == "published"
    )
    assert rules.effective_state(state="published", tender_deadline=T0, now=T0) == "closed"
    assert rules.effective_state(state="cancelled", tender_deadline=T0, now=T0) == "cancelled"


def _line(lot: str, price: int = 100) -> bid_rules.BidLineTerms:
    return bid_rules.BidLineTerms(lot, price, 5, 8000, {"B": "b", "A": "ä"})


def test_canonical_bid_is_order_independent_and_round_trips() -> None:
    cid = uuid.UUID("00000000-0000-0000-0000-000000000001")
    one = bid_rules.canonical_bid(competition_id=cid, lines=[_line("B"), _line("A")])
    two = bid_rules.canonical_bid(competition_id=cid, lines=[_line("A"), _line("B")])
    assert one == two
    assert one.startswith(b'{"competition_id":"00000000-0000-0000-0000-000000000001","lines":[{"capacity":5,')
    assert "ä".encode() in one
    assert bid_rules.bid_sha256(one) == bid_rules.bid_sha256(two)
    assert bid_rules.bid_sha256(one) != bid_rules.bid_sha256(
        bid_rules.canonical_bid(competition_id=cid, lines=[_line("A", 101), _line("B")])
    )
    competition, lines = bid_rules.parse_canonical_bid(one)
    assert competition == str(cid)
    assert [x.lot_code for x in lines] == ["A", "B"]
    assert lines[0].quality_answers == {"A": "ä", "B": "b"}


def test_bid_lines_are_checked_against_the_competition() -> None:
    bid_rules.validate_bid_lines([_line("A")], lot_codes={"A"}, criteria_codes={"A", "B"})
    with pytest.raises(InvalidInput) as exc:
        bid_rules.validate_bid_lines([_line("A"), _line("A")], lot_codes={"A"}, criteria_codes={"A", "B"})
    assert _field(exc) == "lines[1].lot"
    with pytest.raises(InvalidInput) as exc:
        bid_rules.validate_bid_lines([_line("A")], lot_codes={"A"}, criteria_codes={"A"})
    assert _field(exc) == "lines[0].quality_answers.B"


def test_opening_verdicts() -> None:
    verdict = bid_rules.opening_verdict
    assert verdict(
        state="withdrawn", needs_confirmation=False, standing="active", standing_reason=None, amended_at=None
    ) == ("withdrawn", None)
    assert verdict(
        state="submitted", needs_confirmation=False, standing="active", standing_reason=None, amended_at=None
    ) == ("eligible", None)
    state, reason = verdict(
        state="submitted", needs_confirmation=True, standing="active", standing_reason=None, amended_at="X"
    )
    assert (state, reason) == ("ineligible", "not confirmed after the amendment of X; the bid was not opened")
    state, reason = verdict(
        state="submitted",
        needs_confirmation=False,
        standing="suspended",
        standing_reason="suspended until 2027-01-01: tax",
        amended_at=None,
    )
    assert state == "ineligible"
    assert reason is not None and "suspended until 2027-01-01: tax" in reason
