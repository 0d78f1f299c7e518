"""Frozen input and output records of the allocation engine, validated on construction, JSON-safe."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

BP_WHOLE = 10_000  # basis points in one whole
SCORE_UNITS_PER_POINT = 10_000  # criterion and total scores are integers in 0.0001-point units
MAX_SCORE_UNITS = 100 * SCORE_UNITS_PER_POINT


class EngineInputError(ValueError):
    """The competition data cannot be scored or solved as given."""


class EngineError(RuntimeError):
    """The solver failed or returned something the engine cannot accept."""


class ConstraintViolationError(EngineError):
    """The solver's allocation breaks a constraint when re-checked in integers."""


class Status(StrEnum):
    """Outcome of one engine run."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    NOT_SOLVED = "not_solved"


class ReasonCode(StrEnum):
    """Why a line is inadmissible, received no or fewer participants than offered, or a lot stays unmet."""

    SUPPLIER_INELIGIBLE = "supplier_ineligible"
    INCOMPLETE = "incomplete"
    OVER_MAX_PRICE = "over_max_price"
    CAPACITY = "capacity"
    SUPPLIER_CAPACITY = "supplier_capacity"
    OUTSCORED = "outscored"
    DEMAND_MET = "demand_met"
    BUDGET = "budget"
    SUPPLIER_LIMIT = "supplier_limit"
    SHARE_CAP = "share_cap"
    MIN_ALLOCATION = "min_allocation"
    NO_ADMISSIBLE_LINE = "no_admissible_line"
    NOT_SELECTED = "not_selected"


def _int(name: str, value: object, *, low: int = 0, high: int | None = None) -> None:
    # bool is an int subclass; a JSON true must not pass as 1 participant.
    if type(value) is not int:
        raise EngineInputError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise EngineInputError(f"{name} must be {bound}, got {value}")


def _opt_int(name: str, value: object, *, low: int = 0, high: int | None = None) -> None:
    if value is not None:
        _int(name, value, low=low, high=high)


def _text(name: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise EngineInputError(f"{name} must be a non-empty string, got {value!r}")


@dataclass(frozen=True, slots=True)
class Lot:
    """A lot: its code, demand in participants and optional maximum unit price."""

    lot_id: str
    demand: int
    max_unit_price_cents: int | None = None

    def __post_init__(self) -> None:
        _text("lot_id", self.lot_id)
        _int(f"demand of lot {self.lot_id}", self.demand, low=1)
        _opt_int(f"maximum unit price of lot {self.lot_id}", self.max_unit_price_cents, low=1)


@dataclass(frozen=True, slots=True)
class BidLine:
    """One bid's offer on one lot; a missing value (None) makes the line incomplete."""

    bid_id: str
    supplier_id: str
    lot_id: str
    unit_price_cents: int | None
    capacity: int | None
    flow_through_bp: int | None
    quality: int | None
    received_at: datetime
    eligible: bool = True
    ineligibility_reason: str | None = None

    def __post_init__(self) -> None:
        _text("bid_id", self.bid_id)
        _text("supplier_id", self.supplier_id)
        _text("lot_id", self.lot_id)
        where = f"bid {self.bid_id} in lot {self.lot_id}"
        _opt_int(f"unit price of {where}", self.unit_price_cents, low=1)
        _opt_int(f"capacity of {where}", self.capacity, low=0)
        _opt_int(f"flow-through rate of {where}", self.flow_through_bp, low=0, high=BP_WHOLE)
        _opt_int(f"quality of {where}", self.quality, low=0, high=100)
        if not isinstance(self.received_at, datetime) or self.received_at.utcoffset() is None:
            raise EngineInputError(f"receive time of {where} must be a timezone-aware datetime")
        if not isinstance(self.eligible, bool):
            raise EngineInputError(f"eligible flag of {where} must be true or false")
        if self.ineligibility_reason is not None and not isinstance(self.ineligibility_reason, str):
            raise EngineInputError(f"ineligibility reason of {where} must be text")

    @property
    def key(self) -> tuple[str, str]:
        """The line's identity: (lot id, bid id)."""
        return (self.lot_id, self.bid_id)


@dataclass(frozen=True, slots=True)
class SupplierCapacity:
    """The most participants one supplier takes across all lots."""

    supplier_id: str
    capacity: int

    def __post_init__(self) -> None:
        _text("supplier_id", self.supplier_id)
        _int(f"supplier-wide capacity of {self.supplier_id}", self.capacity, low=0)


@dataclass(frozen=True, slots=True)
class Weights:
    """Award criterion weights in basis points; they sum to 10 000."""

    price_bp: int
    quality_bp: int
    outcome_bp: int

    def __post_init__(self) -> None:
        for name in ("price_bp", "quality_bp", "outcome_bp"):
            _int(f"weight {name}", getattr(self, name), low=0, high=BP_WHOLE)
        total = self.price_bp + self.quality_bp + self.outcome_bp
        if total != BP_WHOLE:
            raise EngineInputError(f"weights must sum to {BP_WHOLE} basis points, got {total}")


@dataclass(frozen=True, slots=True)
class AllocationRules:
    """Limits on how a lot may be split between suppliers."""

    max_suppliers_per_lot: int
    max_share_bp: int
    min_allocation: int

    def __post_init__(self) -> None:
        _int("max suppliers per lot", self.max_suppliers_per_lot, low=1)
        _int("max share of a lot per supplier", self.max_share_bp, low=1, high=BP_WHOLE)
        _int("minimum allocation", self.min_allocation, low=1)


@dataclass(frozen=True, slots=True)
class Problem:
    """Everything the engine needs for one evaluation run."""

    lots: tuple[Lot, ...]
    lines: tuple[BidLine, ...]
    budget_cents: int
    weights: Weights
    rules: AllocationRules
    supplier_capacities: tuple[SupplierCapacity, ...] = ()

    def __post_init__(self) -> None:
        # Any sequence is accepted; tuples keep the record immutable and comparable.
        for name, kind in (("lots", Lot), ("lines", BidLine), ("supplier_capacities", SupplierCapacity)):
            items = tuple(getattr(self, name))
            if not all(isinstance(item, kind) for item in items):
                raise EngineInputError(f"{name} must hold {kind.__name__} records")
            object.__setattr__(self, name, items)
        if not isinstance(self.weights, Weights) or not isinstance(self.rules, AllocationRules):
            raise EngineInputError("weights and rules must be Weights and AllocationRules records")
        _int("budget", self.budget_cents, low=0)
        lot_ids = _unique("lot", [lot.lot_id for lot in self.lots])
        _unique("supplier-wide capacity for supplier", [c.supplier_id for c in self.supplier_capacities])
        _unique("line for bid and lot", [f"{ln.bid_id} in lot {ln.lot_id}" for ln in self.lines])
        _unique("line for supplier and lot", [f"{ln.supplier_id} in lot {ln.lot_id}" for ln in self.lines])
        owner: dict[str, str] = {}
        for ln in self.lines:
            if ln.lot_id not in lot_ids:
                raise EngineInputError(f"bid {ln.bid_id} names unknown lot {ln.lot_id}")
            if owner.setdefault(ln.bid_id, ln.supplier_id) != ln.supplier_id:
                raise EngineInputError(f"bid {ln.bid_id} belongs to two suppliers")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form in canonical order (ints, strings, ISO datetimes in UTC)."""
        return {
            "budget_cents": self.budget_cents,
            "weights": {
                "price_bp": self.weights.price_bp,
                "quality_bp": self.weights.quality_bp,
                "outcome_bp": self.weights.outcome_bp,
            },
            "rules": {
                "max_suppliers_per_lot": self.rules.max_suppliers_per_lot,
                "max_share_bp": self.rules.max_share_bp,
                "min_allocation": self.rules.min_allocation,
            },
            "lots": [
                {"lot_id": x.lot_id, "demand": x.demand, "max_unit_price_cents": x.max_unit_price_cents}
                for x in sorted(self.lots, key=lambda x: x.lot_id)
            ],
            "lines": [_line_dict(x) for x in sorted(self.lines, key=lambda x: x.key)],
            "supplier_capacities": [
                {"supplier_id": x.supplier_id, "capacity": x.capacity}
                for x in sorted(self.supplier_capacities, key=lambda x: x.supplier_id)
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Problem:
        """Rebuild a problem stored with `to_dict`; malformed data raises EngineInputError."""
        try:
            return cls(
                lots=tuple(Lot(**x) for x in data["lots"]),
                lines=tuple(_line_from(x) for x in data["lines"]),
                budget_cents=data["budget_cents"],
                weights=Weights(**data["weights"]),
                rules=AllocationRules(**data["rules"]),
                supplier_capacities=tuple(SupplierCapacity(**x) for x in data.get("supplier_capacities", ())),
            )
        except EngineInputError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise EngineInputError(f"malformed problem data: {exc!r}") from exc

    def sha256(self) -> str:
        """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of `to_dict()`."""
        raw = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


def _unique(what: str, keys: list[str]) -> set[str]:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise EngineInputError(f"duplicate {what} {key}")
        seen.add(key)
    return seen


def _line_dict(x: BidLine) -> dict[str, Any]:
    return {
        "bid_id": x.bid_id,
        "supplier_id": x.supplier_id,
        "lot_id": x.lot_id,
        "unit_price_cents": x.unit_price_cents,
        "capacity": x.capacity,
        "flow_through_bp": x.flow_through_bp,
        "quality": x.quality,
        "received_at": x.received_at.astimezone(UTC).isoformat(),
        "eligible": x.eligible,
        "ineligibility_reason": x.ineligibility_reason,
    }


def _line_from(x: Mapping[str, Any]) -> BidLine:
    fields = dict(x)
    fields["received_at"] = datetime.fromisoformat(fields["received_at"])
    return BidLine(**fields)


@dataclass(frozen=True, slots=True)
class LineResult:
    """A line's scores (in 0.0001-point units), rank, allocation and, when it gets none, why."""

    bid_id: str
    supplier_id: str
    lot_id: str
    admissible: bool
    price_score: int | None
    quality_score: int | None
    outcome_score: int | None
    total_score: int | None
    rank: int | None
    allocated: int | None
    reason_code: ReasonCode | None
    reason: str | None
    # Set for a line allocated fewer participants than its capacity: the constraint that held it back.
    limit_code: ReasonCode | None = None
    limit: str | None = None


@dataclass(frozen=True, slots=True)
class LotResult:
    """A lot's demand, how much of it was allocated, what stays unmet and which constraints left it so."""

    lot_id: str
    demand: int
    admissible_lines: int
    allocated: int | None
    unmet_demand: int | None
    unmet_reason_code: ReasonCode | None = None
    unmet_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Objective:
    """The lexicographic objective values: participants served, then Σ S·x, then the tie-break sum."""

    participants_served: int
    score_total: int
    tie_break_total: int


@dataclass(frozen=True, slots=True)
class EngineResult:
    """One engine run: status, allocation and explanations, and how it was solved."""

    status: Status
    message: str
    solver: str
    solver_version: str
    input_sha256: str
    objective: Objective | None
    budget_used_cents: int | None
    lines: tuple[LineResult, ...]
    lots: tuple[LotResult, ...]
    wall_time_s: float
    solver_time_s: float

    def allocation(self) -> dict[tuple[str, str], int]:
        """Participants per (lot id, bid id); empty when the run has no allocation."""
        return {(x.lot_id, x.bid_id): x.allocated for x in self.lines if x.allocated is not None}

    def line(self, *, lot_id: str, bid_id: str) -> LineResult:
        """The result row of one line."""
        for x in self.lines:
            if x.lot_id == lot_id and x.bid_id == bid_id:
                return x
        raise KeyError((lot_id, bid_id))

    def to_dict(self, *, timings: bool = True) -> dict[str, Any]:
        """JSON-safe form; without timings two runs on the same input compare equal."""
        out: dict[str, Any] = {
            "status": self.status.value,
            "message": self.message,
            "solver": self.solver,
            "solver_version": self.solver_version,
            "input_sha256": self.input_sha256,
            "objective": None
            if self.objective is None
            else {
                "participants_served": self.objective.participants_served,
                "score_total": self.objective.score_total,
                "tie_break_total": self.objective.tie_break_total,
            },
            "budget_used_cents": self.budget_used_cents,
            "lines": [_record(x) for x in self.lines],
            "lots": [_record(x) for x in self.lots],
        }
        if timings:
            # Whole microseconds keep the record free of floats, like every amount in it.
            out["wall_time_us"] = round(self.wall_time_s * 1_000_000)
            out["solver_time_us"] = round(self.solver_time_s * 1_000_000)
        return out


def _record(obj: LineResult | LotResult) -> dict[str, Any]:
    out = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        out[f.name] = value.value if isinstance(value, StrEnum) else value
    return out
