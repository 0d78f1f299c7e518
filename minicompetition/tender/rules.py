"""Pure rules of mini-competitions: state machines, terms validation, deadlines, canonical bids."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from procurement.core.clock import to_helsinki
from procurement.core.errors import Conflict, InvalidInput
from procurement.core.states import machine

BP_WHOLE = 10_000  # basis points in one whole

COMPETITION_MACHINE = machine(
    "competition",
    {
        "draft": {"published", "cancelled"},
        "published": {"closed", "cancelled"},
        "closed": {"opened", "cancelled"},
        # SPEC 7: no admissible bid, or no winner, ends the competition as unsuccessful (never as awarded).
        "opened": {"evaluated", "unsuccessful", "cancelled"},
        "evaluated": {"evaluated", "awarded", "unsuccessful", "cancelled"},
        "awarded": {"concluded"},
    },
)
BID_MACHINE = machine(
    "bid",
    {
        "submitted": {"submitted", "withdrawn", "eligible", "ineligible"},
        "withdrawn": {"submitted"},
    },
)
# States in which the bids have been opened (decrypted) and may be read by the buying authority.
OPENED_STATES = frozenset({"opened", "evaluated", "awarded", "concluded", "unsuccessful"})

TARGET_GROUPS = (
    "general",
    "long_term_unemployed",
    "youth",
    "over_55",
    "immigrants",
    "partial_work_ability",
)

# SPEC 4.5 defaults: share of the unit price paid per component, in basis points.
DEFAULT_SHARES_BP: Mapping[str, tuple[tuple[str, int], ...]] = {
    "EMPLOYMENT": (("start", 3000), ("outcome_a", 1500), ("outcome_b", 2500), ("outcome_c", 3000)),
    "COMPETENCE": (("start", 4000), ("outcome_a", 3000), ("outcome_b", 3000)),
    "INCLUSION": (("start", 5000), ("outcome_a", 2500), ("outcome_b", 2500)),
}
COMPONENTS = ("start", "outcome_a", "outcome_b", "outcome_c")
TIERS = ("T1", "T2", "T3", "T4")


@dataclass(frozen=True)
class LotTerms:
    """A lot as the terms describe it."""

    code: str
    municipality_codes: tuple[str, ...]
    target_group: str
    demand: int
    max_unit_price_cents: int | None = None


@dataclass(frozen=True)
class QualityCriterion:
    """A quality sub-criterion and its share of the quality weight."""

    code: str
    name: str
    weight_bp: int


@dataclass(frozen=True)
class Terms:
    """Everything an officer sets on a competition (and may amend after publication)."""

    title: str
    description: str
    budget_cents: int
    price_bp: int
    quality_bp: int
    outcome_bp: int
    quality_criteria: tuple[QualityCriterion, ...]
    max_suppliers_per_lot: int
    max_share_bp: int
    min_allocation: int
    payment_model: Mapping[str, Any]
    intended_effect: str
    expected_participants: int
    expected_cost_cents: int
    expected_outcomes: int
    qa_deadline: datetime
    tender_deadline: datetime
    lots: tuple[LotTerms, ...] = field(default_factory=tuple)


def helsinki_text(moment: datetime) -> str:
    """A moment as people in Finland read it: '2026-12-03 12:00 Europe/Helsinki'."""
    return to_helsinki(moment).strftime("%Y-%m-%d %H:%M") + " Europe/Helsinki"


def effective_state(*, state: str, tender_deadline: datetime, now: datetime) -> str:
    """A published competition is closed once its deadline has passed, whatever is stored."""
    if state == "published" and now >= tender_deadline:
        return "closed"
    return state


# --- terms --------------------------------------------------------------------------------------


def default_payment_model(category: str) -> dict[str, Any]:
    """The SPEC 4.5 payment model of a category (the competition may override it)."""
    return {
        "components": [{"code": c, "share_bp": s} for c, s in DEFAULT_SHARES_BP[category]],
        "tier_multipliers_bp": {"T1": 7500, "T2": 10_000, "T3": 12_000, "T4": 14_000},
        "partial_work_ability_bp": 2000,
        "max_multiplier_bp": 18_000,
        "withhold_bp": 1000,
        "ft_target_bp": 8000,
        "bonus_cap_bp": 1000,
        "participant_cap_bp": 12_000,
    }


def validate_terms(terms: Terms, *, category: str, allowed_municipalities: Iterable[str]) -> None:
    """Raise InvalidInput naming the first field that breaks a rule."""
    if terms.budget_cents < 0:
        raise InvalidInput("The budget cannot be negative.", field="budget_cents")
    validate_weights(price_bp=terms.price_bp, quality_bp=terms.quality_bp, outcome_bp=terms.outcome_bp)
    validate_quality_criteria(terms.quality_criteria, quality_bp=terms.quality_bp)
    validate_allocation_rules(
        max_suppliers_per_lot=terms.max_suppliers_per_lot,
        max_share_bp=terms.max_share_bp,
        min_allocation=terms.min_allocation,
    )
    validate_payment_model(terms.payment_model, category=category)
    validate_scope(
        expected_participants=terms.expected_participants,
        expected_cost_cents=terms.expected_cost_cents,
        expected_outcomes=terms.expected_outcomes,
    )
    validate_lots(terms.lots, allowed_municipalities=allowed_municipalities)
    if terms.qa_deadline > terms.tender_deadline:
        raise InvalidInput("Questions must close no later than the tender deadline.", field="qa_deadline")


def validate_weights(*, price_bp: int, quality_bp: int, outcome_bp: int) -> None:
    """Criterion weights are basis points that sum to exactly 10 000."""
    for name, value in (("price_bp", price_bp), ("quality_bp", quality_bp), ("outcome_bp", outcome_bp)):
        if not 0 <= value <= BP_WHOLE:
            raise InvalidInput(
                f"A weight is 0–{BP_WHOLE} basis points; got {value}.", field=f"weights.{name}"
            )
    total = price_bp + quality_bp + outcome_bp
    if total != BP_WHOLE:
        raise InvalidInput(
            f"The weights must sum to {BP_WHOLE} basis points (100 %); they sum to {total}.",
            field="weights",
        )


def validate_quality_criteria(criteria: Sequence[QualityCriterion], *, quality_bp: int) -> None:
    """Sub-criteria split the quality weight; they are needed exactly when quality weighs anything."""
    if quality_bp > 0 and not criteria:
        raise InvalidInput(
            "Quality has weight, so announce at least one quality sub-criterion.", field="quality_criteria"
        )
    if quality_bp == 0 and criteria:
        raise InvalidInput("Quality sub-criteria need a quality weight above 0.", field="quality_criteria")
    codes = [c.code for c in criteria]
    if len(set(codes)) != len(codes):
        raise InvalidInput("A quality sub-criterion code is listed twice.", field="quality_criteria")
    for i, criterion in enumerate(criteria):
        if not 0 < criterion.weight_bp <= BP_WHOLE:
            raise InvalidInput(
                f"A sub-criterion weighs 1–{BP_WHOLE} basis points; got {criterion.weight_bp}.",
                field=f"quality_criteria[{i}].weight_bp",
            )
    total = sum(c.weight_bp for c in criteria)
    if criteria and total != BP_WHOLE:
        raise InvalidInput(
            f"The quality sub-criteria weights must sum to {BP_WHOLE} basis points; they sum to {total}.",
            field="quality_criteria",
        )


def validate_allocation_rules(*, max_suppliers_per_lot: int, max_share_bp: int, min_allocation: int) -> None:
    """Limits on splitting a lot."""
    if max_suppliers_per_lot < 1:
        raise InvalidInput(
            "At least one supplier must be allowed per lot.", field="allocation_rules.max_suppliers_per_lot"
        )
    if not 0 < max_share_bp <= BP_WHOLE:
        raise InvalidInput(
            f"The maximum share of a lot is 1–{BP_WHOLE} basis points; got {max_share_bp}.",
            field="allocation_rules.max_share_bp",
        )
    if min_allocation < 1:
        raise InvalidInput(
            "The minimum allocation is at least one participant.", field="allocation_rules.min_allocation"
        )


def validate_payment_model(model: Mapping[str, Any], *, category: str) -> None:
    """Components sum to the whole unit price and include the start fee; multipliers cover every tier."""
    components = list(model.get("components", []))
    codes = [c.get("code") for c in components]
    for i, code in enumerate(codes):
        if code not in COMPONENTS:
            raise InvalidInput(
                f"Unknown payment component '{code}'; use {', '.join(COMPONENTS)}.",
                field=f"payment_model.components[{i}].code",
            )
    if len(set(codes)) != len(codes):
        raise InvalidInput("A payment component is listed twice.", field="payment_model.components")
    if "start" not in codes:
        raise InvalidInput("The payment model needs a start fee component.", field="payment_model.components")
    total = sum(int(c.get("share_bp", -1)) for c in components)
    if any(int(c.get("share_bp", -1)) < 0 for c in components) or total != BP_WHOLE:
        raise InvalidInput(
            f"Payment component shares must be ≥ 0 and sum to {BP_WHOLE} basis points; they sum to {total}.",
            field="payment_model.components",
        )
    tiers = model.get("tier_multipliers_bp", {})
    if set(tiers) != set(TIERS) or any(int(v) <= 0 for v in tiers.values()):
        raise InvalidInput(
            "Give a positive multiplier for each benefit-days tier T1–T4.",
            field="payment_model.tier_multipliers_bp",
        )
    if not 0 < int(model.get("ft_target_bp", 0)) < BP_WHOLE:
        raise InvalidInput(
            "The flow-through target lies strictly between 0 and 10 000 basis points.",
            field="payment_model.ft_target_bp",
        )
    for name in ("withhold_bp", "bonus_cap_bp"):
        if not 0 <= int(model.get(name, -1)) <= BP_WHOLE:
            raise InvalidInput(f"{name} is 0–{BP_WHOLE} basis points.", field=f"payment_model.{name}")
    if category not in DEFAULT_SHARES_BP:
        raise InvalidInput(f"No payment model is defined for category '{category}'.", field="category")


def validate_scope(*, expected_participants: int, expected_cost_cents: int, expected_outcomes: int) -> None:
    """The economic model of the scope record."""
    if expected_participants < 0:
        raise InvalidInput("Expected participants cannot be negative.", field="scope.expected_participants")
    if expected_cost_cents < 0:
        raise InvalidInput("The expected cost cannot be negative.", field="scope.expected_cost_cents")
    if not 0 <= expected_outcomes <= expected_participants:
        raise InvalidInput(
            "Expected outcomes are between 0 and the expected participants.",
            field="scope.expected_outcomes",
        )


def validate_lots(lots: Sequence[LotTerms], *, allowed_municipalities: Iterable[str]) -> None:
    """Lots have unique codes, positive demand, a valid maximum price and municipalities of the ring."""
    if not lots:
        raise InvalidInput("A competition has at least one lot.", field="lots")
    allowed = set(allowed_municipalities)
    seen: set[str] = set()
    for i, lot in enumerate(lots):
        if lot.code in seen:
            raise InvalidInput(f"Lot code '{lot.code}' is used twice.", field=f"lots[{i}].code")
        seen.add(lot.code)
        if lot.demand <= 0:
            raise InvalidInput(
                f"Demand is the number of participants and must be at least 1; got {lot.demand}.",
                field=f"lots[{i}].demand",
            )
        if lot.max_unit_price_cents is not None and lot.max_unit_price_cents <= 0:
            raise InvalidInput(
                "A maximum unit price must be positive (or left out).",
                field=f"lots[{i}].max_unit_price_cents",
            )
        if lot.target_group not in TARGET_GROUPS:
            raise InvalidInput(
                f"Unknown target group '{lot.target_group}'; use {', '.join(TARGET_GROUPS)}.",
                field=f"lots[{i}].target_group",
            )
        if not lot.municipality_codes:
            raise InvalidInput(
                "A lot serves at least one municipality.", field=f"lots[{i}].municipality_codes"
            )
        for j, code in enumerate(lot.municipality_codes):
            if code not in allowed:
                raise InvalidInput(
                    f"Municipality {code} belongs neither to the buying authority nor to a ring member.",
                    field=f"lots[{i}].municipality_codes[{j}]",
                )


# --- deadlines ----------------------------------------------------------------------------------


def check_tender_period(*, published_at: datetime, tender_deadline: datetime, min_days: int) -> None:
    """The tender deadline lies at least `min_days` days after publication."""
    earliest = published_at + timedelta(days=min_days)
    if tender_deadline < earliest:
        raise InvalidInput(
            f"The tender period must be at least {min_days} days: set the tender deadline to "
            f"{helsinki_text(earliest)} or later (it is {helsinki_text(tender_deadline)}).",
            field="tender_deadline",
        )


def check_qa_deadline(*, qa_deadline: datetime, tender_deadline: datetime, min_days: int) -> None:
    """Questions close at least `min_days` days before the tender deadline, so answers reach bidders."""
    latest = tender_deadline - timedelta(days=min_days)
    if qa_deadline > latest:
        raise InvalidInput(
            f"Questions must close at least {min_days} days before the tender deadline "
            f"{helsinki_text(tender_deadline)}: set the question deadline to {helsinki_text(latest)} or "
            f"earlier (it is {helsinki_text(qa_deadline)}).",
            field="qa_deadline",
        )


def check_amendment_time(
    *,
    db_now: datetime,
    current_deadline: datetime,
    new_deadline: datetime | None,
    published_at: datetime,
    min_days_after: int,
    min_tender_days: int,
) -> None:
    """An amendment leaves at least `min_days_after` days, or moves the deadline so that it does."""
    earliest = db_now + timedelta(days=min_days_after)
    if new_deadline is None:
        if current_deadline < earliest:
            left = _duration_text(current_deadline - db_now)
            # The clock, not the amendment's content, refuses it: a conflict like a bid after the deadline.
            raise Conflict(
                f"Only {left} remain before the tender deadline {helsinki_text(current_deadline)}; an "
                f"amendment must leave at least {min_days_after} days, so move the tender deadline to "
                f"{helsinki_text(earliest)} or later in the same amendment.",
                earliest_deadline=earliest.isoformat(),
            )
        return
    if new_deadline < earliest:
        raise InvalidInput(
            f"After an amendment at least {min_days_after} days must remain: set the tender deadline to "
            f"{helsinki_text(earliest)} or later.",
            field="tender_deadline",
        )
    check_tender_period(published_at=published_at, tender_deadline=new_deadline, min_days=min_tender_days)


def _duration_text(delta: timedelta) -> str:
    hours = max(0, int(delta.total_seconds()) // 3600)
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h"
