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


def improve(
    shape: Shape,
    x: np.ndarray,
    *,
    line: int,
    prices: np.ndarray,
    scores: np.ndarray,
    budget: int,
    keep: bool = True,
    steps: int = 12,
) -> np.ndarray | None:
    """The best score within the budget reachable from `x` by steps of one or two exchanges, each in its lot.

    A move that gains score usually costs cents, recovered by a second exchange in another lot that saves
    them at the least score lost (the budget binds); over the budget (or a supplier-wide capacity), the first
    step is the pair that brings it back at the least loss. With `keep` False the line stays out. None when no
    step brings `x` within the budget. A guess: re-checked by callers.
    """
    best = x if int(prices @ x) <= budget and fits(shape, x, line=line, keep=keep) else None
    for _ in range(steps):
        y = _best_pair(
            shape, x, line=line, prices=prices, scores=scores, budget=budget, must=best is None, keep=keep
        )
        if y is None:
            break
        x = best = y
    return best


def _moves(shape: Shape, x: np.ndarray, *, line: int, keep: bool = True) -> np.ndarray:
    """Every single exchange from `x` as rows (lot, j, k, t), by the rules of `_ranges`, in arrays."""
    capped = shape.group_of >= 0
    used = np.bincount(shape.group_of[capped], weights=x[capped], minlength=len(shape.group_cap)).astype(
        np.int64
    )
    lots = int(shape.lot_of.max()) + 1
    chosen = np.bincount(shape.lot_of, weights=x > 0, minlength=lots).astype(np.int64)
    held = np.flatnonzero(x > 0)
    same = shape.lot_of[held][:, None] == shape.lot_of[None, :]
    same[np.arange(len(held)), held] = False
    if not keep:
        same[:, line] = False
    a, k = np.nonzero(same)
    j = held[a]
    m, xj, xk = shape.min_allocation, x[j], x[k]
    high = np.minimum(xj, shape.upper[k] - xk)
    gk, gj = shape.group_of[k], shape.group_of[j]
    other = (gk >= 0) & (gk != gj)
    room = shape.group_cap[np.where(other, gk, 0)] - used[np.where(other, gk, 0)] if len(used) else high
    high = np.where(other, np.minimum(high, room), high)
    low = np.where(xk > 0, 1, m)
    stays = (xk > 0) | (chosen[shape.lot_of[j]] < shape.max_suppliers)
    leaves = (j != line) & (low <= xj) & (xj <= high)
    lo = np.concatenate([np.where(stays, low, 1), xj])
    hi = np.concatenate([np.where(stays, np.minimum(high, xj - m), 0), np.where(leaves, xj, 0)])
    jj, kk = np.concatenate([j, j]), np.concatenate([k, k])
    ok = lo <= hi
    lo, hi, jj, kk = lo[ok], hi[ok], jj[ok], kk[ok]
    n = hi - lo + 1
    row = np.repeat(np.arange(len(lo)), n)
    t = lo[row] + np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    return np.stack([shape.lot_of[jj[row]], jj[row], kk[row], t], 1).astype(np.int64)


def _best_pair(
    shape: Shape,
    x: np.ndarray,
    *,
    line: int,
    prices: np.ndarray,
    scores: np.ndarray,
    budget: int,
    must: bool,
    keep: bool,
) -> np.ndarray | None:
    """The one or two exchanges (in different lots) within the budget that score the most: above `x`'s score,
    or anything within the budget when `must` (x is over it). None when there is none."""
    moves = _moves(shape, x, line=line, keep=keep)
    if not len(moves):
        return None
    lot, j, k, t = moves.T
    dc = t * (prices[k] - prices[j])
    ds = t * (scores[k] - scores[j])
    slack = budget - int(prices @ x)
    # Per lot: the best score change among its moves costing at most c, for any c (a prefix maximum by cost).
    gain = np.full(len(moves), -np.inf)
    partner = np.full(len(moves), -1)
    alone = dc <= slack
    gain[alone] = ds[alone]
    for m in np.unique(lot):
        own = np.flatnonzero(lot == m)
        order = own[np.argsort(dc[own], kind="stable")]
        top = np.maximum.accumulate(ds[order])
        where = np.maximum.accumulate(np.where(ds[order] == top, np.arange(len(order)), 0))
        others = np.flatnonzero(lot != m)
        at = np.searchsorted(dc[order], slack - dc[others], side="right") - 1
        ok = at >= 0
        total = np.where(ok, ds[others] + top[np.maximum(at, 0)], -np.inf)
        better = total > gain[others]
        gain[others[better]] = total[better]
        partner[others[better]] = order[where[np.maximum(at, 0)]][better]
    floor = -np.inf if must else 0
    for first in np.argsort(-gain, kind="stable")[:20]:
        if not gain[first] > floor:
            return None
        y = x.copy()
        for r in (first, partner[first]) if partner[first] >= 0 else (first,):
            y[j[r]] -= t[r]
            y[k[r]] += t[r]
        if fits(shape, y, line=line, keep=keep) and int(prices @ y) <= budget:
            return y
    return None


def fits(shape: Shape, y: np.ndarray, *, line: int, keep: bool) -> bool:
    """Every constraint but the budget and the lots' demand, with the line in (or out) as asked."""
    on = y > 0
    lots = int(shape.lot_of.max()) + 1
    capped = shape.group_of >= 0
    used = np.bincount(shape.group_of[capped], weights=y[capped], minlength=len(shape.group_cap))
    return not (
        bool(np.any(y < 0) or np.any(y > shape.upper) or np.any(on & (y < shape.min_allocation)))
        or bool(np.any(np.bincount(shape.lot_of, weights=on, minlength=lots) > shape.max_suppliers))
        or bool(np.any(used > shape.group_cap))
        or bool(on[line]) != keep
    )
