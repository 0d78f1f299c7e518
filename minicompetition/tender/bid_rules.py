"""Pure rules of bids: the canonical bid and its digest, line checks, what opening makes of a bid."""

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

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


def validate_bid_lines(
    lines: Sequence[BidLineTerms], *, lot_codes: Iterable[str], criteria_codes: Iterable[str]
) -> None:
    """Each line names a lot of the competition once, with positive price and capacity."""
    if not lines:
        raise InvalidInput("A bid has at least one line.", field="lines")
    known, criteria = set(lot_codes), set(criteria_codes)
    seen: set[str] = set()
    for i, line in enumerate(lines):
        if line.lot_code not in known:
            raise InvalidInput(
                f"The competition has no lot '{line.lot_code}'; its lots are {', '.join(sorted(known))}.",
                field=f"lines[{i}].lot",
            )
        if line.lot_code in seen:
            raise InvalidInput(f"Lot '{line.lot_code}' has two lines.", field=f"lines[{i}].lot")
        seen.add(line.lot_code)
        if line.unit_price_cents <= 0:
            raise InvalidInput("The unit price is positive cents.", field=f"lines[{i}].unit_price_cents")
        if line.capacity <= 0:
            raise InvalidInput("Capacity is at least one participant.", field=f"lines[{i}].capacity")
        if not 0 <= line.committed_flow_through_bp <= BP_WHOLE:
            raise InvalidInput(
                f"The committed flow-through rate is 0–{BP_WHOLE} basis points.",
                field=f"lines[{i}].committed_flow_through_bp",
            )
        for code in line.quality_answers:
            if code not in criteria:
                raise InvalidInput(
                    f"No quality sub-criterion '{code}' is announced; answer "
                    f"{', '.join(sorted(criteria)) or 'none'}.",
                    field=f"lines[{i}].quality_answers.{code}",
                )


def canonical_bid(*, competition_id: uuid.UUID, lines: Sequence[BidLineTerms]) -> bytes:
    """The one spelling of a bid: its competition and its lines ordered by lot code."""
    body = {
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
