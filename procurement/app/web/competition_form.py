"""The competition form: posted fields to a CompetitionIn, and a competition back to field values."""

from typing import Any

from minicompetition.tender.schemas import CompetitionIn, CompetitionOut
from procurement.app.web import forms
from procurement.app.web.forms import FieldErrors, text
from procurement.core.errors import InvalidInput

LOT_ROWS = 3
CRITERION_ROWS = 3
TARGET_GROUPS = ("general", "long_term_unemployed", "youth", "over_55", "immigrants", "partial_work_ability")


def parse(form: dict[str, Any]) -> tuple[CompetitionIn | None, FieldErrors]:
    """The posted form as the API's schema, or the messages by field (named as the API names them)."""
    errors = FieldErrors()
    lots = []
    for i in range(LOT_ROWS):
        p = f"lots[{i}]"
        if not text(form, f"{p}.code"):
            continue
        lots.append(
            {
                "code": text(form, f"{p}.code"),
                "municipality_codes": [
                    c.strip() for c in text(form, f"{p}.municipality_codes").split(",") if c.strip()
                ],
                "target_group": text(form, f"{p}.target_group"),
                "demand": forms.integer(form, f"{p}.demand", errors),
                "max_unit_price_cents": forms.euros(
                    form, f"{p}.max_unit_price_cents", errors, required=False
                ),
            }
        )
    if not lots:
        errors["lots[0].code"] = "A competition has at least one lot."
    criteria = [
        {
            "code": text(form, f"quality_criteria[{i}].code"),
            "name": text(form, f"quality_criteria[{i}].name"),
            "weight_bp": forms.percent_bp(form, f"quality_criteria[{i}].weight_bp", errors),
        }
        for i in range(CRITERION_ROWS)
        if text(form, f"quality_criteria[{i}].code")
    ]
    body = {
        "dps_id": text(form, "dps_id"),
        "category": text(form, "category"),
        "title": text(form, "title"),
        "description": text(form, "description"),
        "lots": lots,
        "budget_cents": forms.euros(form, "budget_cents", errors),
        "weights": {
            n: forms.percent_bp(form, f"weights.{n}", errors)
            for n in ("price_bp", "quality_bp", "outcome_bp")
        },
        "quality_criteria": criteria,
        "allocation_rules": {
            "max_suppliers_per_lot": forms.integer(form, "allocation_rules.max_suppliers_per_lot", errors),
            "max_share_bp": forms.percent_bp(form, "allocation_rules.max_share_bp", errors),
            "min_allocation": forms.integer(form, "allocation_rules.min_allocation", errors),
        },
        "scope": {
            "intended_effect": text(form, "scope.intended_effect"),
            "expected_participants": forms.integer(form, "scope.expected_participants", errors),
            "expected_cost_cents": forms.euros(form, "scope.expected_cost_cents", errors),
            "expected_outcomes": forms.integer(form, "scope.expected_outcomes", errors),
        },
        "qa_deadline": forms.local_moment(form, "qa_deadline", errors),
        "tender_deadline": forms.local_moment(form, "tender_deadline", errors),
    }
    if errors:
        return None, errors
    try:
        return forms.typed(CompetitionIn, body), errors
    except InvalidInput as exc:
        forms.add_refusal(errors, exc, field="title")
        return None, errors


def values_of(competition: CompetitionOut, lots: list[Any]) -> dict[str, str]:
    """A competition's terms as the form's field values (for editing a draft)."""
    values: dict[str, str] = {
        "dps_id": str(competition.dps_id),
        "category": competition.category,
        "title": competition.title,
        "description": competition.description,
        "budget_cents": _euros(competition.budget_cents),
        "weights.price_bp": _percent(competition.weights.price_bp),
        "weights.quality_bp": _percent(competition.weights.quality_bp),
        "weights.outcome_bp": _percent(competition.weights.outcome_bp),
        "allocation_rules.max_suppliers_per_lot": str(competition.allocation_rules.max_suppliers_per_lot),
        "allocation_rules.max_share_bp": _percent(competition.allocation_rules.max_share_bp),
        "allocation_rules.min_allocation": str(competition.allocation_rules.min_allocation),
        "scope.intended_effect": competition.scope.intended_effect,
        "scope.expected_participants": str(competition.scope.expected_participants),
        "scope.expected_cost_cents": _euros(competition.scope.expected_cost_cents),
        "scope.expected_outcomes": str(competition.scope.expected_outcomes),
        "qa_deadline": forms.local_input(competition.qa_deadline),
        "tender_deadline": forms.local_input(competition.tender_deadline),
    }
    for i, lot in enumerate(lots[:LOT_ROWS]):
        values[f"lots[{i}].code"] = lot.code
        values[f"lots[{i}].municipality_codes"] = ", ".join(lot.municipality_codes)
        values[f"lots[{i}].target_group"] = lot.target_group
        values[f"lots[{i}].demand"] = str(lot.demand)
        values[f"lots[{i}].max_unit_price_cents"] = _euros(lot.max_unit_price_cents)
    for i, criterion in enumerate(competition.quality_criteria[:CRITERION_ROWS]):
        values[f"quality_criteria[{i}].code"] = criterion.code
        values[f"quality_criteria[{i}].name"] = criterion.name
        values[f"quality_criteria[{i}].weight_bp"] = _percent(criterion.weight_bp)
    return values


def _euros(cents: int | None) -> str:
    return "" if cents is None else _percent(cents)


def _percent(hundredths: int) -> str:
    """Hundredths (cents or basis points) as typed into the form: 1234 → 12,34, 1200 → 12."""
    return f"{hundredths // 100}" + (f",{hundredths % 100:02d}" if hundredths % 100 else "")
