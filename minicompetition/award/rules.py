"""Pure rules of evaluation and award: quality from sub-criteria, overrides, standstill, appeal text."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from minicompetition.engine.scoring import (
    ConstraintViolationError,
    EngineResult,
    Key,
    LineResult,
    Problem,
    Status,
    check_allocation,
    round_half_up,
)
from minicompetition.tender.rules import BP_WHOLE, QualityCriterion
from procurement.core.clock import to_helsinki
from procurement.core.errors import InvalidInput

UNSUCCESSFUL_REASON_MAX = 4000  # the column's length

DEFAULT_APPEAL_INSTRUCTIONS = (
    "Muutoksenhakuohje: Asianosainen, joka on tyytymätön tähän hankintapäätökseen, voi tehdä "
    "hankintaoikaisuvaatimuksen hankintayksikölle tai valittaa markkinaoikeuteen 14 päivän kuluessa "
    "päätöksen tiedoksisaannista (laki julkisista hankinnoista ja käyttöoikeussopimuksista 1397/2016, "
    "132 § ja 146 §). Hankintasopimus tehdään aikaisintaan odotusajan päätyttyä.\n\n"
    "Appeal instructions: A party dissatisfied with this award decision may request a procurement "
    "rectification from the contracting authority or appeal to the Market Court within 14 days of "
    "being notified of the decision (Act on Public Procurement and Concession Contracts 1397/2016, "
    "sections 132 and 146). Contracts are concluded only after the standstill period has ended."
)


def missing_criteria(scores: Mapping[str, int], criteria: Sequence[QualityCriterion]) -> list[str]:
    """Announced sub-criteria a line has no score for yet, in announced order."""
    return [c.code for c in criteria if c.code not in scores]


def line_quality(scores: Mapping[str, int], criteria: Sequence[QualityCriterion]) -> int | None:
    """The line's quality q (0–100), or None while a sub-criterion is unscored."""
    # SPEC 4.3: q is the sub-criterion scores' average weighted by the announced weights (basis points
    # summing to 10 000), rounded half up to a whole point, in integers: ⌊(Σ w·s + 5 000) / 10 000⌋.
    # The engine takes q as an integer 0–100; with no quality weight nothing is announced and q = 0.
    if not criteria:
        return 0
    if missing_criteria(scores, criteria):
        return None
    weighted = sum(c.weight_bp * scores[c.code] for c in criteria)
    return round_half_up(weighted, BP_WHOLE)


def no_winner_reason(result: EngineResult) -> str | None:
    """Why an optimal run has no winner at all (the competition ends unsuccessful); None if it has one."""
    if result.status != Status.OPTIMAL or result.objective is None or result.objective.participants_served:
        return None
    inadmissible = [x for x in result.lines if not x.admissible]
    if len(inadmissible) == len(result.lines):
        reasons = sorted({x.reason or "" for x in inadmissible})
        why = "no admissible bid: " + ("; ".join(reasons) if reasons else "no bid line to evaluate")
    else:
        why = "no winner: no allocation meets the competition's rules — " + "; ".join(
            x.unmet_reason or "" for x in result.lots if x.unmet_reason
        )
    return why if len(why) <= UNSUCCESSFUL_REASON_MAX else why[: UNSUCCESSFUL_REASON_MAX - 1] + "…"


def standstill_end(issued_at: datetime, *, days: int) -> datetime:
    """The standstill's end: the same Helsinki wall-clock time `days` calendar days later, in UTC."""
    return (to_helsinki(issued_at) + timedelta(days=days)).astimezone(UTC)


def award_status(*, now: datetime, standstill_ends_at: datetime, competition_state: str) -> str:
    """Where an award decision stands: standstill running, final, or concluded into contracts."""
    if competition_state == "concluded":
        return "concluded"
    return "standstill" if now < standstill_ends_at else "final"


@dataclass(frozen=True)
class Placement:
    """Participants of one lot given to one bid line by an override."""

    bid_id: str
    volume: int


@dataclass(frozen=True)
class LotOverride:
    """An officer's explicit allocation of one lot, with the reason."""

    lot: str
    reason: str
    placements: tuple[Placement, ...]


def merged_allocation(
    *,
    problem: Problem,
    lines: Sequence[LineResult],
    overrides: Sequence[LotOverride],
) -> dict[Key, int]:
    """The engine's allocation with the overridden lots replaced; every rule re-checked in integers."""
    lots = {lot.lot_id for lot in problem.lots}
    by_key = {(x.lot_id, x.bid_id): x for x in lines}
    seen_lots: set[str] = set()
    explicit: dict[Key, int] = {}
    for i, override in enumerate(overrides):
        where = f"overrides[{i}]"
        if override.lot not in lots:
            raise InvalidInput(
                f"Lot {override.lot} is not part of this evaluation run.", field=f"{where}.lot_id"
            )
        if override.lot in seen_lots:
            raise InvalidInput(f"Lot {override.lot} is overridden twice.", field=f"{where}.lot_id")
        seen_lots.add(override.lot)
        bids: set[str] = set()
        for j, placement in enumerate(override.placements):
            field = f"{where}.allocations[{j}]"
            row = by_key.get((override.lot, placement.bid_id))
            if row is None:
                raise InvalidInput(
                    f"Bid {placement.bid_id} has no line in lot {override.lot}.", field=f"{field}.bid_id"
                )
            if not row.admissible:
                raise InvalidInput(
                    f"Bid {placement.bid_id}'s line in lot {override.lot} is inadmissible ({row.reason}); "
                    "it cannot be awarded.",
                    field=f"{field}.bid_id",
                )
            if placement.bid_id in bids:
                raise InvalidInput(
                    f"Bid {placement.bid_id} is listed twice in lot {override.lot}.", field=f"{field}.bid_id"
                )
            bids.add(placement.bid_id)
            if placement.volume < 1:
                raise InvalidInput("An allocation is at least one participant.", field=f"{field}.volume")
            explicit[(override.lot, placement.bid_id)] = placement.volume
    engine = {(x.lot_id, x.bid_id): x.allocated for x in lines if x.allocated}
    merged = {key: volume for key, volume in engine.items() if key[0] not in seen_lots}
    merged.update(explicit)
    check_overrides(problem, merged)
    return dict(sorted(merged.items()))


def check_overrides(problem: Problem, allocation: Mapping[Key, int]) -> None:
    """Demand, capacity, suppliers per lot, then every announced rule and the budget, in integers."""
    rules = problem.rules
    lines = {ln.key: ln for ln in problem.lines}
    demand = {lot.lot_id: lot.demand for lot in problem.lots}
    per_lot: dict[str, list[int]] = {}
    for key, volume in allocation.items():
        capacity = lines[key].capacity or 0
        if volume > capacity:
            raise InvalidInput(
                f"Bid {key[1]} gets {volume} participants in lot {key[0]}, over its capacity {capacity}.",
                field="overrides",
            )
        per_lot.setdefault(key[0], []).append(volume)
    for lot, volumes in sorted(per_lot.items()):
        if sum(volumes) > demand[lot]:
            raise InvalidInput(
                f"Lot {lot} gets {sum(volumes)} participants, over its demand {demand[lot]}.",
                field="overrides",
            )
        if len(volumes) > rules.max_suppliers_per_lot:
            raise InvalidInput(
                f"Lot {lot} gets {len(volumes)} suppliers, over the announced limit of "
                f"{rules.max_suppliers_per_lot}.",
                field="overrides",
            )
    try:
        check_allocation(problem, allocation)
    except ConstraintViolationError as exc:
        raise InvalidInput(f"The allocation breaks an announced rule: {exc}.", field="overrides") from exc
