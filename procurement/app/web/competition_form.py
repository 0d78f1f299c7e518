"""The competition form: every field checked at once in the officer's terms, then the API's schema.

Rows of lots and quality sub-criteria are as many as the officer needs (added and removed on the
page); codes are made from the officer's words where they can be (sub-criteria Q1, Q2…, lot codes in
capitals), and municipalities may be typed by name or by code.
"""

import re
from datetime import datetime, timedelta
from typing import Any

from minicompetition.tender.schemas import CompetitionIn, CompetitionOut
from procurement.app.web import forms
from procurement.app.web.forms import FieldErrors, text
from procurement.app.web.messages import N_
from procurement.app.web.municipalities import NAMES
from procurement.core.clock import to_helsinki
from procurement.core.errors import InvalidInput

TARGET_GROUPS = ("general", "long_term_unemployed", "youth", "over_55", "immigrants", "partial_work_ability")
LOT_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")
BY_NAME = {name.casefold(): code for code, name in NAMES.items()}
MAX_ROWS = 50
WHOLE = 10_000


def rows(form: dict[str, Any], prefix: str) -> list[int]:
    """The indices of the rows a posted form holds (lots[3].code → 3), in order."""
    found = {int(m.group(1)) for k in form if (m := re.match(rf"^{re.escape(prefix)}\[(\d+)\]\.", k))}
    return sorted(i for i in found if i < MAX_ROWS)


def _municipalities(raw: str, errors: FieldErrors, name: str) -> list[str]:
    codes = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        code = part if re.fullmatch(r"\d{3}", part) else BY_NAME.get(part.casefold())
        if code is None:
            errors[name] = N_("Give municipalities as three-digit codes or names, separated by commas.")
            return []
        codes.append(code)
    if not codes:
        errors[name] = N_("A lot serves at least one municipality.")
    return codes


def _lots(form: dict[str, Any], errors: FieldErrors) -> list[dict[str, Any]]:
    lots = []
    for i in rows(form, "lots"):
        p = f"lots[{i}]"
        code = text(form, f"{p}.code").upper().replace(" ", "-")
        if not code and not text(form, f"{p}.demand") and not text(form, f"{p}.municipality_codes"):
            continue  # an empty row
        if not LOT_CODE.fullmatch(code):
            errors[f"{p}.code"] = N_(
                "Give the lot a short name: letters A–Z, digits and hyphens, at most 20."
            )
        demand = forms.integer(form, f"{p}.demand", errors)
        if demand is not None and demand < 1:
            errors[f"{p}.demand"] = N_("The demand is at least one participant.")
        lots.append(
            {
                "code": code,
                "municipality_codes": _municipalities(
                    text(form, f"{p}.municipality_codes"), errors, f"{p}.municipality_codes"
                ),
                "target_group": text(form, f"{p}.target_group") or "general",
                "demand": demand,
                "max_unit_price_cents": forms.euros(
                    form, f"{p}.max_unit_price_cents", errors, required=False
                ),
            }
        )
    if not lots:
        errors["lots[0].code"] = N_("A competition has at least one lot.")
    codes = [lot["code"] for lot in lots]
    if len(set(codes)) != len(codes):
        errors["lots[0].code"] = N_("Each lot needs a name of its own.")
    return lots


def _criteria(form: dict[str, Any], errors: FieldErrors, quality_bp: int | None) -> list[dict[str, Any]]:
    criteria = []
    for n, i in enumerate(rows(form, "quality_criteria"), start=1):
        p = f"quality_criteria[{i}]"
        name = text(form, f"{p}.name")
        if not name and not text(form, f"{p}.weight_bp"):
            continue
        if not name:
            errors[f"{p}.name"] = N_("Name the sub-criterion.")
        code = text(form, f"{p}.code").upper() or f"Q{n}"
        criteria.append(
            {"code": code, "name": name, "weight_bp": forms.percent_bp(form, f"{p}.weight_bp", errors)}
        )
    weights: list[Any] = [c["weight_bp"] for c in criteria]
    if quality_bp and not criteria:
        errors["quality_criteria[0].name"] = N_("Quality has a weight: announce at least one sub-criterion.")
    elif criteria and None not in weights and sum(w or 0 for w in weights) != WHOLE:
        first = f"quality_criteria[{rows(form, 'quality_criteria')[0]}].weight_bp"
        errors[first] = N_("The sub-criteria's weights must add up to 100 %.")
    return criteria


def _deadlines(form: dict[str, Any], errors: FieldErrors, now: datetime) -> tuple[Any, Any]:
    qa = forms.local_moment(form, "qa_deadline", errors)
    tender = forms.local_moment(form, "tender_deadline", errors)
    if tender is not None and tender <= now:
        errors["tender_deadline"] = N_("The tender deadline has already passed: choose a later time.")
    elif tender is not None and tender < now + timedelta(days=10):
        errors["tender_deadline"] = N_("The tender period is at least 10 days from publication.")
    if qa is not None and qa <= now:
        errors["qa_deadline"] = N_("The question deadline has already passed: choose a later time.")
    elif qa is not None and tender is not None and qa > tender - timedelta(days=3):
        errors["qa_deadline"] = N_("Questions close at least 3 days before the tender deadline.")
    return qa, tender


def parse(form: dict[str, Any], *, now: datetime) -> tuple[CompetitionIn | None, FieldErrors]:
    """The posted form as the API's schema, or every message by field, in the officer's terms."""
    errors = FieldErrors()
    for name, message in (
        ("dps_id", N_("Choose the purchasing system.")),
        ("category", N_("Choose a category.")),
    ):
        if not text(form, name):
            errors[name] = message
    if not text(form, "title"):
        errors["title"] = N_("Give the competition a title.")
    weights = {
        n: forms.percent_bp(form, f"weights.{n}", errors) for n in ("price_bp", "quality_bp", "outcome_bp")
    }
    if None not in weights.values() and sum(weights.values()) != WHOLE:  # type: ignore[arg-type]
        errors["weights.price_bp"] = N_(
            "The weights of price, quality and flow-through must add up to 100 %."
        )
    qa, tender = _deadlines(form, errors, now)
    body = {
        "dps_id": text(form, "dps_id"),
        "category": text(form, "category"),
        "title": text(form, "title"),
        "description": text(form, "description"),
        "lots": _lots(form, errors),
        "budget_cents": forms.euros(form, "budget_cents", errors),
        "weights": weights,
        "quality_criteria": _criteria(form, errors, weights["quality_bp"]),
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
        "qa_deadline": qa,
        "tender_deadline": tender,
    }
    if len(body["scope"]["intended_effect"]) < 3:  # type: ignore[index]
        errors["scope.intended_effect"] = N_("Describe the intended effect (at least 3 characters).")
    if errors:
        return None, errors
    try:
        return forms.typed(CompetitionIn, body), errors
    except InvalidInput as exc:
        forms.add_refusal(errors, exc, field="title")
        return None, errors


DEFAULTS = {
    "weights.price_bp": "50",
    "weights.quality_bp": "20",
    "weights.outcome_bp": "30",
    "allocation_rules.max_suppliers_per_lot": "3",
    "allocation_rules.max_share_bp": "60",
    "allocation_rules.min_allocation": "5",
    "lots[0].target_group": "general",
    "quality_criteria[0].weight_bp": "100",
}


def new_values(now: datetime, *, min_tender_days: int) -> dict[str, str]:
    """A new draft's defaults: the weights and rules above, a tender deadline two weeks (or the minimum
    tender period and four days) away at noon, questions closing a week before it (Finnish time)."""
    noon = to_helsinki(now).replace(hour=12, minute=0, second=0, microsecond=0)
    deadline = noon + timedelta(days=max(14, min_tender_days + 4))
    return {
        **DEFAULTS,
        "tender_deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
        "qa_deadline": (deadline - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
    }


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
    for i, lot in enumerate(lots):
        values[f"lots[{i}].code"] = lot.code
        values[f"lots[{i}].municipality_codes"] = ", ".join(lot.municipality_codes)
        values[f"lots[{i}].target_group"] = lot.target_group
        values[f"lots[{i}].demand"] = str(lot.demand)
        values[f"lots[{i}].max_unit_price_cents"] = _euros(lot.max_unit_price_cents)
    for i, criterion in enumerate(competition.quality_criteria):
        values[f"quality_criteria[{i}].code"] = criterion.code
        values[f"quality_criteria[{i}].name"] = criterion.name
        values[f"quality_criteria[{i}].weight_bp"] = _percent(criterion.weight_bp)
    return values


def with_row_change(values: dict[str, str], action: str) -> tuple[dict[str, str], list[int], list[int]]:
    """The values after add-lot, remove-lot-3, add-criterion or remove-criterion-1, and the rows shown."""
    lots, criteria = rows(values, "lots") or [0], rows(values, "quality_criteria") or [0]
    kind, _, index = action.removeprefix("add-").removeprefix("remove-").partition("-")
    prefix = "lots" if kind == "lot" else "quality_criteria"
    shown = lots if kind == "lot" else criteria
    if action.startswith("add-") and len(shown) < MAX_ROWS:
        shown.append(max(shown) + 1)
    elif action.startswith("remove-") and index.isdigit() and len(shown) > 1:
        shown.remove(int(index)) if int(index) in shown else None
        values = {k: v for k, v in values.items() if not k.startswith(f"{prefix}[{index}].")}
    return values, lots, criteria


def _euros(cents: int | None) -> str:
    return "" if cents is None else _percent(cents)


def _percent(hundredths: int) -> str:
    """Hundredths (cents or basis points) as typed into the form: 1234 → 12,34, 1200 → 12."""
    return f"{hundredths // 100}" + (f",{hundredths % 100:02d}" if hundredths % 100 else "")


LABELS = {
    "dps_id": N_("Purchasing system"),
    "category": N_("Category"),
    "title": N_("Title"),
    "description": N_("Description"),
    "budget_cents": N_("Budget"),
    "qa_deadline": N_("Questions close"),
    "tender_deadline": N_("Tender deadline"),
    "weights.price_bp": N_("Weight of price"),
    "weights.quality_bp": N_("Weight of quality"),
    "weights.outcome_bp": N_("Weight of flow-through"),
    "allocation_rules.max_suppliers_per_lot": N_("Most suppliers per lot"),
    "allocation_rules.max_share_bp": N_("Largest share of a lot"),
    "allocation_rules.min_allocation": N_("Smallest allocation"),
    "scope.intended_effect": N_("Intended effect"),
    "scope.expected_participants": N_("Expected participants"),
    "scope.expected_cost_cents": N_("Expected cost"),
    "scope.expected_outcomes": N_("Expected outcomes"),
    "code": N_("name"),
    "municipality_codes": N_("municipalities"),
    "target_group": N_("target group"),
    "demand": N_("demand"),
    "max_unit_price_cents": N_("maximum unit price"),
    "name": N_("name"),
    "weight_bp": N_("weight"),
}


def summary_labels(
    errors: FieldErrors, translate: Any, lot_rows: list[int], criterion_rows: list[int]
) -> dict[str, str]:
    """Each refused field's name as the form shows it ('Lot 2, demand'), for the error summary."""
    out = {}
    for name in errors:
        row = re.match(r"^(lots|quality_criteria)\[(\d+)\]\.(\w+)", name)
        if row:
            kind = N_("Lot %(n)s") if row.group(1) == "lots" else N_("Sub-criterion %(n)s")
            shown = lot_rows if row.group(1) == "lots" else criterion_rows
            index = int(row.group(2))
            position = shown.index(index) + 1 if index in shown else index + 1
            out[name] = (
                f"{translate(kind) % {'n': position}}, {translate(LABELS.get(row.group(3), row.group(3)))}"
            )
        elif name in LABELS:
            out[name] = translate(LABELS[name])
    return out
