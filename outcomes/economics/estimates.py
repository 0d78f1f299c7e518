"""Expected rates of a forecast: the track record shrunk toward a stated prior, with a low–high range."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from procurement.core.money import BP_SCALE, round_half_up

Z_95 = 1.959963984540054  # two-sided 95 % normal quantile
PRIOR_WEIGHT = 20  # the prior is worth this many matured starts (as for the track-record quality score)


class RateSource(StrEnum):
    """Where an expected rate comes from."""

    TRACK_RECORD = "track_record"  # the registry's history in the category, shrunk toward the prior
    ASSUMPTION = "assumption"  # no history: the default assumption of the category
    STATED = "stated"  # the officer stated it for this forecast


@dataclass(frozen=True, kw_only=True)
class Rate:
    """An expected rate in basis points with its 95 % range, and what it rests on."""

    low_bp: int
    expected_bp: int
    high_bp: int
    source: RateSource
    successes: int = 0
    trials: int = 0
    prior_bp: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.low_bp <= self.expected_bp <= self.high_bp <= BP_SCALE:
            raise ValueError(f"need 0 ≤ low ≤ expected ≤ high ≤ {BP_SCALE}: {self}")
        if not 0 <= self.successes <= self.trials:
            raise ValueError("need 0 ≤ successes ≤ trials")

    def at(self, scenario: Scenario) -> int:
        """The rate of a scenario."""
        return {Scenario.LOW: self.low_bp, Scenario.EXPECTED: self.expected_bp, Scenario.HIGH: self.high_bp}[
            scenario
        ]


class Scenario(StrEnum):
    """The three cases of a forecast: every rate at its low, expected or high value."""

    LOW = "low"
    EXPECTED = "expected"
    HIGH = "high"


SCENARIOS = (Scenario.LOW, Scenario.EXPECTED, Scenario.HIGH)


def _wilson_bp(successes: Fraction, n: Fraction, z: float = Z_95) -> tuple[int, int]:
    """The 95 % Wilson score interval of (pseudo-)counts, in whole basis points (floor, ceiling)."""
    p, nf = float(successes / n), float(n)
    z2 = z * z
    denom = 1 + z2 / nf
    centre = (p + z2 / (2 * nf)) / denom
    half = (z / denom) * math.sqrt(max(0.0, p * (1 - p) / nf + z2 / (4 * nf * nf)))
    low = 0 if successes == 0 else max(0, math.floor((centre - half) * BP_SCALE))
    high = BP_SCALE if successes == n else min(BP_SCALE, math.ceil((centre + half) * BP_SCALE))
    return low, high


def shrunk_rate(
    *,
    successes: int,
    trials: int,
    prior_bp: int,
    prior_weight: int = PRIOR_WEIGHT,
    source: RateSource | None = None,
) -> Rate:
    """(successes + m·prior) / (trials + m) with its Wilson range over the same pseudo-counts.

    The same shrinkage as the track-record quality score: with no history the rate is the prior, with much
    history it approaches the observed rate, and the range narrows as history grows.
    """
    if not 0 <= prior_bp <= BP_SCALE or prior_weight < 0 or not 0 <= successes <= trials:
        raise ValueError("need 0 ≤ prior ≤ 10 000 bp, prior weight ≥ 0 and 0 ≤ successes ≤ trials")
    n = Fraction(trials + prior_weight)
    if n == 0:
        return Rate(
            low_bp=prior_bp,
            expected_bp=prior_bp,
            high_bp=prior_bp,
            source=source or RateSource.ASSUMPTION,
            prior_bp=prior_bp,
        )
    pseudo = successes + prior_weight * Fraction(prior_bp, BP_SCALE)
    expected = round_half_up(BP_SCALE * pseudo / n)
    low, high = _wilson_bp(pseudo, n)
    return Rate(
        low_bp=min(low, expected),
        expected_bp=expected,
        high_bp=max(high, expected),
        source=source or (RateSource.TRACK_RECORD if trials else RateSource.ASSUMPTION),
        successes=successes,
        trials=trials,
        prior_bp=prior_bp,
    )


def stated_rate(rate_bp: int, *, prior_weight: int = PRIOR_WEIGHT) -> Rate:
    """A rate the officer states: worth the prior's weight of evidence, so it has the same range."""
    return shrunk_rate(
        successes=0, trials=0, prior_bp=rate_bp, prior_weight=prior_weight, source=RateSource.STATED
    )


def capped_chain(rates: tuple[Rate, ...]) -> tuple[Rate, ...]:
    """A chain of milestones (job, 3 months, 6 months): a later one never exceeds an earlier one."""
    out: list[Rate] = []
    for rate in rates:
        if out:
            prev = out[-1]
            rate = Rate(
                low_bp=min(rate.low_bp, prev.low_bp),
                expected_bp=min(rate.expected_bp, prev.expected_bp),
                high_bp=min(rate.high_bp, prev.high_bp),
                source=rate.source,
                successes=rate.successes,
                trials=rate.trials,
                prior_bp=rate.prior_bp,
            )
            # Keep low ≤ expected ≤ high after the caps.
            rate = Rate(
                low_bp=min(rate.low_bp, rate.expected_bp),
                expected_bp=rate.expected_bp,
                high_bp=max(rate.high_bp, rate.expected_bp),
                source=rate.source,
                successes=rate.successes,
                trials=rate.trials,
                prior_bp=rate.prior_bp,
            )
        out.append(rate)
    return tuple(out)
