"""Cheap witnesses for price to win: one exchange of participants between two lines of a lot.

The search for a line's price to win walks up a staircase: the allocation that wins at one price breaks the
budget (or falls below the run's score) one cent higher, and the best allocation there differs from it by a
small shift elsewhere. Finding that shift by a MIP solve costs most of the search; most of the time one
exchange (t participants moved from line j to line k of the same lot) finds it. Only a guess: every
allocation found here is re-checked in integers by the caller, and prices are still proven by solves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Shape:
    """The constraints of the allocation program that an exchange inside a lot can break."""

    lot_of: np.ndarray
    upper: np.ndarray
    min_allocation: int
    max_suppliers: int
    group_of: np.ndarray  # index of the line's supplier-wide capacity, -1 when it has none
    group_cap: np.ndarray


def exchange(
    shape: Shape,
    x: np.ndarray,
    *,
    line: int,
    prices: np.ndarray,
    scores: np.ndarray,
    budget: int,
    beat: int,
    rate: float,
) -> np.ndarray | None:
    """The best single exchange making `x` (the line kept in) cost at most `budget` and score above `beat`.

    Best: the most room left for the line's price to rise, the score margin measured at `rate` score units
    per cent of the line's price and the budget margin at x[line] cents per cent. None when none exists.
    """
    cost, score = int(prices @ x), int(scores @ x)
    capped = shape.group_of >= 0
    used = np.bincount(shape.group_of[capped], weights=x[capped], minlength=len(shape.group_cap)).astype(
        np.int64
    )
    best: tuple[float, np.ndarray] | None = None
    for lot in np.unique(shape.lot_of[x > 0]):
        idx = np.flatnonzero(shape.lot_of == lot)
        chosen = int(np.count_nonzero(x[idx]))
        for j in map(int, idx[x[idx] > 0]):
            for k in map(int, idx):
                if k == j:
                    continue
                dc, ds = int(prices[k] - prices[j]), int(scores[k] - scores[j])
                for lo, hi in _ranges(shape, x, j=j, k=k, line=line, chosen=chosen, used=used):
                    # Cost and score are linear in t: keep the t where both still hold, try its ends.
                    lo, hi = _clip(lo, hi, dc, budget - cost)
                    lo, hi = _clip(lo, hi, -ds, score - beat - 1)
                    for t in {lo, hi} if lo <= hi else ():
                        a = int(x[line]) + (t if k == line else -t if j == line else 0)
                        new_cost, new_score = cost + t * dc, score + t * ds
                        room = min((new_score - beat) / max(rate * a, 1e-9), (budget - new_cost) / a)
                        if best is None or room > best[0]:
                            y = x.copy()
                            y[j] -= t
                            y[k] += t
                            best = (room, y)
    return None if best is None else best[1]


def _clip(lo: int, hi: int, slope: int, limit: int) -> tuple[int, int]:
    """The t in [lo, hi] with slope·t ≤ limit."""
    if slope > 0:
        hi = min(hi, limit // slope)
    elif slope < 0:
        lo = max(lo, -(limit // -slope))
    elif limit < 0:
        return 1, 0
    return lo, hi


def _ranges(
    shape: Shape, x: np.ndarray, *, j: int, k: int, line: int, chosen: int, used: np.ndarray
) -> list[tuple[int, int]]:
    """The amounts that may move from j to k: j keeps at least the minimum, or j leaves (not the line)."""
    m, xj, xk = shape.min_allocation, int(x[j]), int(x[k])
    high = min(xj, int(shape.upper[k]) - xk)
    gk, gj = int(shape.group_of[k]), int(shape.group_of[j])
    if gk >= 0 and gk != gj:
        high = min(high, int(shape.group_cap[gk]) - int(used[gk]))
    low = 1 if xk > 0 else m
    out = []
    if xk > 0 or chosen < shape.max_suppliers:  # j stays: k may be a new supplier only below the limit
        out.append((low, min(high, xj - m)))
    if j != line and low <= xj <= high:
        out.append((xj, xj))
    return out
