"""Pure rules of payment periods: states, months, batch ids and the correction of a paid line."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from outcomes.payments.lines import LineKind, LineStatus
from outcomes.payments.model import RULE_VERSION
from procurement.core.errors import InvalidInput
from procurement.core.money import ROUNDING_RULE, fraction_text, round_half_up
from procurement.core.states import machine

PERIOD_STATES = ("open", "closed", "approved", "exported")
PERIOD_MACHINE = machine(
    "payment period", {"open": {"closed"}, "closed": {"approved"}, "approved": {"exported"}}
)
CLAWBACK = "clawback"  # a line of an event voided after it was paid
CORRECTION = "correction"  # a line of an event voided after its period closed, before it was paid
LINE_KINDS = (*(k.value for k in LineKind), CLAWBACK, CORRECTION)
LINE_STATUSES = tuple(s.value for s in LineStatus)
EXPORT_FORMATS = ("csv-fi", "csv-rfc4180", "xlsx", "parquet")
CORRECTION_RULE = "payment_correction"
# Kinds of line a correction reverses: what the event itself earned, and the bonus its fee brought. A
# settled start's release is taken back through its withheld line (at the release ratio), and its malus
# was never paid.
CORRECTABLE_KINDS = (
    LineKind.START_FEE.value,
    LineKind.START_FEE_WITHHELD.value,
    LineKind.OUTCOME.value,
    LineKind.BONUS.value,
)
DEFAULT_VAT_CODE = "0"  # exempt: employment and training services are typically VAT-exempt (SPEC 4.6)

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, the unit of a payment period."""

    year: int
    month: int

    @property
    def label(self) -> str:
        """The month as YYYY-MM."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        """The first day of the month."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The last day of the month: the events' cut-off and the cohorts' settlement date."""
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])


def parse_month(text: str) -> Month:
    """A YYYY-MM month, or a 422 naming the field."""
    found = _MONTH.match(text)
    if found is None or not 2000 <= int(found.group(1)) <= 2999:
        raise InvalidInput(f"A period is a month written YYYY-MM, e.g. 2026-03; got {text!r}.", field="month")
    return Month(int(found.group(1)), int(found.group(2)))


def has_ended(month: Month, *, today: date) -> bool:
    """Whether the month is over on a Finnish calendar day (a period closes after its month)."""
    return today > month.last_day


def batch_id(*, authority_business_id: str, month: Month) -> str:
    """The export batch id of a period: the paying authority's business id and the month."""
    return f"{authority_business_id}-{month.label}"


def vat_code_of(model: Mapping[str, Any]) -> str:
    """The VAT code of a contract's service (optional in its payment model; exempt by default)."""
    return str(model.get("vat_code") or DEFAULT_VAT_CODE)


def cost_centre_of(model: Mapping[str, Any], *, category: str) -> str:
    """The cost centre finance books a contract's lines to (optional in its payment model)."""
    return str(model.get("cost_centre") or category)


@dataclass(frozen=True, kw_only=True)
class Correction:
    """The reversal of one line: what it takes back now and what it removes from the running totals."""

    kind: str
    status: str
    amount_cents: int
    committed_delta_cents: int
    base_cents: int  # amount = round_half_up(base × rate): minus what was paid, at the release ratio or 1
    rate: Fraction
    trace: dict[str, Any]


def correction_of(
    *,
    line: Mapping[str, Any],
    event_state: str,
    event_reason: str | None,
    release_ratio: Fraction | None,
) -> Correction:
    """Reverse a line of a voided event; a settled withhold is reversed only as far as it was released."""
    # `line` holds the corrected line's id, period_id, kind, status, amount_cents, committed_delta_cents,
    # trace_id and rule_version; `release_ratio` is its settlement's withhold × min(1, FT/target).
    kind = CLAWBACK if event_state == "awaiting_clawback" else CORRECTION
    amount, committed = line["amount_cents"], line["committed_delta_cents"]
    settled = line["kind"] == LineKind.START_FEE_WITHHELD.value and release_ratio is not None
    if settled:
        assert release_ratio is not None  # noqa: S101 (narrowing for mypy)
        # Released money was paid and is taken back; the kept malus was never paid.
        released = round_half_up(amount * release_ratio)
        status, take_back, uncommit = LineStatus.PAYABLE.value, -released, -released
    else:
        status, take_back, uncommit = line["status"], -amount, -committed
    trace: dict[str, Any] = {
        "rule": CORRECTION_RULE,
        "rule_version": line.get("rule_version") or RULE_VERSION,
        "rounding": ROUNDING_RULE,
        "corrects": {
            "line_id": line["id"],
            "period_id": str(line["period_id"]),
            "kind": line["kind"],
            "status": line["status"],
            "amount_cents": amount,
            "committed_delta_cents": committed,
            "trace_id": line["trace_id"],
        },
        "event": {"state": event_state, "reason": event_reason},
        "release_ratio": fraction_text(release_ratio) if settled and release_ratio is not None else None,
        "formula": "-(released part of the withheld fee)" if settled else "-(corrected amount)",
        "amount_cents": take_back,
        "committed_delta_cents": uncommit,
    }
    return Correction(
        kind=kind,
        status=status,
        amount_cents=take_back,
        committed_delta_cents=uncommit,
        base_cents=-amount,
        rate=release_ratio if settled and release_ratio is not None else Fraction(1),
        trace=trace,
    )
