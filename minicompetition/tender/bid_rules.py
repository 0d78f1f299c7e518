"""Pure rules of bids: the canonical bid and its digest, line checks, what opening makes of a bid."""

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from minicompetition.tender.rules import BP_WHOLE
from procurement.core.canonical import canonical_json, sha256_hex
from procurement.core.errors import InvalidInput
from procurement.core.text import control_character


@dataclass(frozen=True)
class BidLineTerms:
    """One line of a bid: the supplier's offer on one lot."""

    lot_code: str
    unit_price_cents: int
    capacity: int
    committed_flow_through_bp: int
    quality_answers: Mapping[str, str]


# A quality sub-criterion with this code is scored from the register's track record: bidders do not answer it.
TRACK_RECORD = "TRACK_RECORD"


def validate_bid_lines(
    lines: Sequence[BidLineTerms],
    *,
    lot_codes: Iterable[str],
    criteria_codes: Iterable[str],
    supplier_capacity: int | None = None,
) -> None:
    """A complete, valid bid: each line names a lot once, with positive price and capacity and an answer to
    every announced quality sub-criterion. Every problem is named (field by field), not only the first."""
    if not lines:
        raise InvalidInput("A bid has at least one line.", field="lines")
    known, criteria = set(lot_codes), list(criteria_codes)
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, line in enumerate(lines):
        errors.extend(_line_errors(i, line, known=known, criteria=criteria, seen=seen))
        seen.add(line.lot_code)
    if supplier_capacity is not None and supplier_capacity <= 0:
        errors.append(
            {"field": "supplier_capacity", "message": "A supplier-wide capacity is at least one participant."}
        )
    if errors:
        detail = (
            errors[0]["message"]
            if len(errors) == 1
            else (
                f"The bid has {len(errors)} problems, each named in errors: "
                + " ".join(e["message"] for e in errors)
            )
        )
        raise InvalidInput(detail, errors=errors)


def _line_errors(
    i: int, line: BidLineTerms, *, known: set[str], criteria: Sequence[str], seen: set[str]
) -> list[dict[str, str]]:
    out = []

    def add(field: str, message: str) -> None:
        out.append({"field": f"lines[{i}].{field}", "message": message})

    if line.lot_code not in known:
        add("lot", f"The competition has no lot '{line.lot_code}'; its lots are {', '.join(sorted(known))}.")
    elif line.lot_code in seen:
        add("lot", f"Lot '{line.lot_code}' has two lines.")
    if line.unit_price_cents <= 0:
        add("unit_price_cents", "The unit price is positive cents.")
    if line.capacity <= 0:
        add("capacity", "Capacity is at least one participant.")
    if not 0 <= line.committed_flow_through_bp <= BP_WHOLE:
        add("committed_flow_through_bp", f"The committed flow-through rate is 0–{BP_WHOLE} basis points.")
    for code in line.quality_answers:
        if code not in criteria:
            add(
                f"quality_answers.{code}",
                f"No quality sub-criterion '{code}' is announced; answer "
                f"{', '.join(sorted(criteria)) or 'none'}.",
            )
    for code in criteria:
        # SPEC 4.2: the receipt means the bid is complete; an unanswered sub-criterion is refused.
        if code != TRACK_RECORD and not str(line.quality_answers.get(code, "")).strip():
            add(
                f"quality_answers.{code}",
                f"Lot '{line.lot_code}' leaves the quality sub-criterion '{code}' unanswered; answer every "
                "announced sub-criterion.",
            )
    return out


def canonical_bid(
    *, competition_id: uuid.UUID, lines: Sequence[BidLineTerms], supplier_capacity: int | None = None
) -> bytes:
    """The one spelling of a bid: its competition, its lines by lot code, and any supplier-wide capacity.

    A bid without a supplier-wide capacity has no such key: its bytes (and receipt) are what they always were.
    """
    body: dict[str, Any] = {
        "competition_id": str(competition_id),
        "lines": [
            {
                "lot": line.lot_code,
                "unit_price_cents": line.unit_price_cents,
                "capacity": line.capacity,
                "committed_flow_through_bp": line.committed_flow_through_bp,
                "quality_answers": dict(line.quality_answers),
            }
            for line in sorted(lines, key=lambda x: x.lot_code)
        ],
    }
    if supplier_capacity is not None:
        body["supplier_capacity"] = supplier_capacity
    return canonical_json(body)


def bid_sha256(canonical: bytes) -> str:
    """The receipt's digest of a canonical bid."""
    return sha256_hex(canonical)


def parse_canonical_bid(canonical: bytes) -> tuple[str, tuple[BidLineTerms, ...]]:
    """Read a canonical bid back (after opening)."""
    body = json.loads(canonical)
    lines = tuple(
        BidLineTerms(
            lot_code=x["lot"],
            unit_price_cents=x["unit_price_cents"],
            capacity=x["capacity"],
            committed_flow_through_bp=x["committed_flow_through_bp"],
            quality_answers=x["quality_answers"],
        )
        for x in body["lines"]
    )
    return body["competition_id"], lines


def canonical_supplier_capacity(canonical: bytes) -> int | None:
    """The supplier-wide capacity a canonical bid states, if any."""
    value = json.loads(canonical).get("supplier_capacity")
    return None if value is None else int(value)


INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def unstorable(lines: tuple[BidLineTerms, ...]) -> str | None:
    """Why opened lines cannot be stored as bid lines, or None: what the bid_line columns refuse.

    Submission refuses all of these already; opening checks again, so that a bid accepted under an
    older rule makes itself ineligible instead of stopping the competition's opening.
    """
    for x in lines:
        where = f"line {x.lot_code!r}"
        if not 0 < x.unit_price_cents <= INT64_MAX:
            return f"{where}: the unit price is not a positive amount"
        if not 1 <= x.capacity <= INT32_MAX:
            return f"{where}: the capacity is not a positive number"
        if not 0 <= x.committed_flow_through_bp <= 10_000:
            return f"{where}: the committed flow-through is not between 0 and 10 000 bp"
        for code, answer in x.quality_answers.items():
            found = control_character(str(code)) or control_character(str(answer))
            if found:
                return f"{where}: the answer to {code!r} holds a control character ({found}), never storable"
    return None


def opening_verdict(
    *,
    state: str,
    needs_confirmation: bool,
    standing: str,
    standing_reason: str | None,
    amended_at: str | None,
) -> tuple[str, str | None]:
    """What opening makes of a bid: 'eligible', 'ineligible' with the reason, or 'withdrawn' (left alone)."""
    if state == "withdrawn":
        return "withdrawn", None
    if needs_confirmation:
        when = f" of {amended_at}" if amended_at else ""
        return "ineligible", f"not confirmed after the amendment{when}; the bid was not opened"
    if standing != "active":
        return "ineligible", f"supplier no longer eligible in the category: {standing_reason or standing}"
    return "eligible", None
