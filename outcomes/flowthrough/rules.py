"""Pure flow-through metric: cells, Wilson interval, grouping, track record and public rating."""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction

from outcomes.flowthrough.steps import DEFAULT_CONFIG, FlowThroughConfig, Start, first_qualifying_step
from outcomes.tracking.rules import NeutralExitKind

Z_95 = 1.959963984540054  # two-sided 95 % normal quantile


def wilson_interval(*, successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion; None when n is 0."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 ≤ successes ≤ n, got {successes}/{n}")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = (z / denom) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # The bounds are exactly 0 at 0/n and 1 at n/n; do not let float dust say otherwise.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def half_up(value: Fraction) -> int:
    """Round a non-negative exact value to an int, halves up."""
    return math.floor(value + Fraction(1, 2))


class Rating(StrEnum):
    """Public rating of a cell against the target."""

    ABOVE_TARGET = "above_target"
    AT_TARGET = "at_target"
    BELOW_TARGET = "below_target"
    NOT_ENOUGH_DATA = "not_enough_data"


def rate_against_target(
    *, successes: int, n: int, target_bp: int, min_n: int = DEFAULT_CONFIG.small_cell_threshold
) -> Rating:
    """Above when the Wilson lower bound ≥ target, below when the upper bound < target, else at."""
    interval = wilson_interval(successes=successes, n=n)
    if interval is None or n < min_n:
        return Rating.NOT_ENOUGH_DATA
    low, high = interval
    target = target_bp / 10_000
    if low >= target:
        return Rating.ABOVE_TARGET
    if high < target:
        return Rating.BELOW_TARGET
    return Rating.AT_TARGET


class StartStatus(StrEnum):
    """Where one start stands in the flow-through count."""

    IMMATURE = "immature"
    NEUTRAL = "neutral"
    QUALIFIED = "qualified"
    NOT_QUALIFIED = "not_qualified"


@dataclass(frozen=True)
class StartVerdict:
    """A start's status with its neutral-exit kind or its first qualifying step."""

    status: StartStatus
    neutral_kind: NeutralExitKind | None = None
    first_step_on: date | None = None
    days_to_step: int | None = None


def classify_start(*, start: Start, cutoff: date, config: FlowThroughConfig = DEFAULT_CONFIG) -> StartVerdict:
    """Classify one start: immature, neutral exit, qualified or not qualified."""
    window_end = start.start_date + timedelta(days=config.horizon_days)
    if window_end > cutoff:
        return StartVerdict(StartStatus.IMMATURE)
    # A verified neutral exit inside the window removes the start even if a step came before it (SPEC §4.4).
    exit_ = start.neutral_exit
    if exit_ is not None and exit_.verified and exit_.on <= window_end:
        return StartVerdict(StartStatus.NEUTRAL, neutral_kind=exit_.kind)
    step = first_qualifying_step(start=start, cutoff=cutoff, config=config)
    if step is None:
        return StartVerdict(StartStatus.NOT_QUALIFIED)
    return StartVerdict(
        StartStatus.QUALIFIED, first_step_on=step.start, days_to_step=(step.start - start.start_date).days
    )


@dataclass(frozen=True)
class FlowThroughCell:
    """Flow-through of one group of starts at a cut-off."""

    starts: int
    matured: int  # starts with start + horizon ≤ cut-off
    neutral: int  # matured starts with a neutral exit inside the window
    denominator: int  # matured − neutral
    qualified: int
    neutral_by_kind: tuple[tuple[NeutralExitKind, int], ...]
    rate: Fraction | None  # None when the denominator is 0
    rate_bp: int | None  # rate × 10 000, half up
    interval: tuple[float, float] | None  # 95 % Wilson, for display
    target_bp: int
    gap_to_target_bp: int | None  # rate_bp − target_bp; negative below target
    median_days_to_step: float | None  # among qualified starts
    suppressed: bool  # denominator < small-cell threshold
    rating: Rating


def _median(values: Sequence[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def flow_through(
    *, starts: Iterable[Start], cutoff: date, config: FlowThroughConfig = DEFAULT_CONFIG
) -> FlowThroughCell:
    """Flow-through cell for a set of starts at a cut-off date."""
    total = matured = qualified = 0
    neutral_kinds: Counter[NeutralExitKind] = Counter()
    days: list[int] = []
    for start in starts:
        total += 1
        verdict = classify_start(start=start, cutoff=cutoff, config=config)
        if verdict.status is StartStatus.IMMATURE:
            continue
        matured += 1
        if verdict.neutral_kind is not None:
            neutral_kinds[verdict.neutral_kind] += 1
        elif verdict.days_to_step is not None:
            qualified += 1
            days.append(verdict.days_to_step)
    neutral = sum(neutral_kinds.values())
    denominator = matured - neutral
    rate = Fraction(qualified, denominator) if denominator else None
    rate_bp = half_up(rate * 10_000) if rate is not None else None
    return FlowThroughCell(
        starts=total,
        matured=matured,
        neutral=neutral,
        denominator=denominator,
        qualified=qualified,
        neutral_by_kind=tuple((k, neutral_kinds[k]) for k in NeutralExitKind if neutral_kinds[k]),
        rate=rate,
        rate_bp=rate_bp,
        interval=wilson_interval(successes=qualified, n=denominator),
        target_bp=config.target_bp,
        gap_to_target_bp=rate_bp - config.target_bp if rate_bp is not None else None,
        median_days_to_step=_median(days),
        suppressed=denominator < config.small_cell_threshold,
        rating=rate_against_target(
            successes=qualified, n=denominator, target_bp=config.target_bp, min_n=config.small_cell_threshold
        ),
    )


@dataclass(frozen=True)
class PublicFlowThroughCell:
    """A cell safe for open data: small counts are blanked."""

    starts: int
    matured: int | None
    neutral: int | None
    denominator: int | None
    qualified: int | None
    rate_bp: int | None
    interval: tuple[float, float] | None
    target_bp: int
    gap_to_target_bp: int | None
    median_days_to_step: float | None
    suppressed: bool
    rating: Rating


def public_cell(
    *, cell: FlowThroughCell, config: FlowThroughConfig = DEFAULT_CONFIG
) -> PublicFlowThroughCell:
    """Blank every count and rate of a suppressed cell; blank a small non-zero neutral count."""
    if cell.suppressed:
        return PublicFlowThroughCell(
            starts=cell.starts,
            matured=None,
            neutral=None,
            denominator=None,
            qualified=None,
            rate_bp=None,
            interval=None,
            target_bp=cell.target_bp,
            gap_to_target_bp=None,
            median_days_to_step=None,
            suppressed=True,
            rating=Rating.NOT_ENOUGH_DATA,
        )
    # Neutral exits include deaths and sickness: a count of 1–4 could point at a person, and
    # matured − denominator would give it back, so matured goes too.
    small_neutral = 0 < cell.neutral < config.small_cell_threshold
    return PublicFlowThroughCell(
        starts=cell.starts,
        matured=None if small_neutral else cell.matured,
        neutral=None if small_neutral else cell.neutral,
        denominator=cell.denominator,
        qualified=cell.qualified,
        rate_bp=cell.rate_bp,
        interval=cell.interval,
        target_bp=cell.target_bp,
        gap_to_target_bp=cell.gap_to_target_bp,
        median_days_to_step=cell.median_days_to_step,
        suppressed=False,
        rating=cell.rating,
    )


# --- Grouping -------------------------------------------------------------------------------


class Dimension(StrEnum):
    """A dimension flow-through can be broken down by."""

    CONTRACT = "contract"
    SUPPLIER = "supplier"
    CATEGORY = "category"
    LOT = "lot"
    MUNICIPALITY = "municipality"
    TARGET_GROUP = "target_group"
    MONTH = "month"


@dataclass(frozen=True, kw_only=True)
class TaggedStart:
    """A start with the dimension values it is reported under."""

    start: Start
    contract_id: str
    supplier_id: str
    category: str
    lot_id: str
    municipality_code: str
    target_groups: frozenset[str] = field(default_factory=frozenset)

    def values(self, dimension: Dimension) -> tuple[str, ...]:
        """This start's values for a dimension (several for target groups, possibly none)."""
        match dimension:
            case Dimension.CONTRACT:
                return (self.contract_id,)
            case Dimension.SUPPLIER:
                return (self.supplier_id,)
            case Dimension.CATEGORY:
                return (str(self.category),)
            case Dimension.LOT:
                return (self.lot_id,)
            case Dimension.MUNICIPALITY:
                return (self.municipality_code,)
            case Dimension.TARGET_GROUP:
                return tuple(sorted(self.target_groups))
            case Dimension.MONTH:
                return (self.start.start_date.strftime("%Y-%m"),)
        raise AssertionError(f"unhandled dimension {dimension}")


def flow_through_by(
    *,
    starts: Iterable[TaggedStart],
    by: Sequence[Dimension],
    cutoff: date,
    config: FlowThroughConfig = DEFAULT_CONFIG,
) -> dict[tuple[str, ...], FlowThroughCell]:
    """One cell per combination of dimension values present, keyed in the order of ``by``, sorted."""
    groups: defaultdict[tuple[str, ...], list[Start]] = defaultdict(list)
    for tagged in starts:
        # A participant in several target groups counts once in each of them.
        for key in itertools.product(*(tagged.values(d) for d in by)):
            groups[key].append(tagged.start)
    return {key: flow_through(starts=groups[key], cutoff=cutoff, config=config) for key in sorted(groups)}


# --- Track record ---------------------------------------------------------------------------


def track_record_score(
    *, qualified: int, denominator: int, category_mean: Fraction, prior_weight: int = 20
) -> int:
    """Score 0–100 = 100 × (qualified + m·mean) / (denominator + m), rounded half up."""
    if not 0 <= qualified <= denominator or not 0 <= category_mean <= 1 or prior_weight < 0:
        raise ValueError("need 0 ≤ qualified ≤ denominator, 0 ≤ mean ≤ 1 and prior weight ≥ 0")
    if denominator + prior_weight == 0:
        # No prior and no data: the only defensible score is the category mean itself.
        return half_up(100 * category_mean)
    return half_up(100 * (qualified + prior_weight * category_mean) / (denominator + prior_weight))


def pooled_rate(*, cells: Iterable[FlowThroughCell]) -> Fraction | None:
    """Pooled flow-through of disjoint cells (Σ qualified / Σ denominator); None without data."""
    qualified = denominator = 0
    for cell in cells:
        qualified += cell.qualified
        denominator += cell.denominator
    return Fraction(qualified, denominator) if denominator else None


def track_record_scores(
    *, starts: Iterable[TaggedStart], cutoff: date, config: FlowThroughConfig = DEFAULT_CONFIG
) -> dict[tuple[str, str], int | None]:
    """Score per (supplier, category), shrunk to the category's pooled flow-through; None without data."""
    tagged = list(starts)
    cells = flow_through_by(
        starts=tagged, by=(Dimension.SUPPLIER, Dimension.CATEGORY), cutoff=cutoff, config=config
    )
    by_category: defaultdict[str, list[FlowThroughCell]] = defaultdict(list)
    for (_, category), cell in cells.items():
        by_category[category].append(cell)
    means = {category: pooled_rate(cells=group) for category, group in by_category.items()}
    scores: dict[tuple[str, str], int | None] = {}
    for (supplier, category), cell in cells.items():
        mean = means[category]
        scores[(supplier, category)] = (
            None
            if mean is None
            else track_record_score(
                qualified=cell.qualified,
                denominator=cell.denominator,
                category_mean=mean,
                prior_weight=config.prior_weight_starts,
            )
        )
    return scores
