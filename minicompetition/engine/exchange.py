"""Cheap witnesses for price to win: one exchange of participants between two lines of a lot.

The search for a line's price to win walks up a staircase: the allocation that wins at one price breaks the
budget (or falls below the run's score) one cent higher, and the best allocation there differs from it by a
small shift elsewhere. Finding that shift by a MIP solve costs most of the search; most of the time one
exchange (t participants moved from line j to line k of the same lot) finds it. Only a guess: every
allocation found here is re-checked in integers by the caller, and prices are still proven by solves.
"""

from __future__ import annotations

import itertools
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
    moves = _moves(shape, x, line=line)
    if not len(moves):
        return None
    _, j, k, t = moves.T
    cost = int(prices @ x) + t * (prices[k] - prices[j])
    score = int(scores @ x) + t * (scores[k] - scores[j])
    a = int(x[line]) + np.where(k == line, t, 0) - np.where(j == line, t, 0)
    ok = (cost <= budget) & (score > beat)
    if not ok.any():
        return None
    room = np.minimum((score - beat) / np.maximum(rate * a, 1e-9), (budget - cost) / a)
    best = int(np.argmax(np.where(ok, room, -np.inf)))
    y = x.copy()
    y[j[best]] -= t[best]
    y[k[best]] += t[best]
    return y


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
    """Every single exchange from `x` as rows (lot, j, k, t): t participants move from j (held) to k, another
    line of its lot, within k's bound and its supplier's capacity; j keeps at least the minimum allocation, or
    j leaves altogether (never the line kept in), and k may be a new supplier only below the lot's limit."""
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
    # Per lot: the best score change among its moves costing at most c, for any c (a prefix maximum by cost),
    # looked up for every leading move and every other lot at once on keys (lot, cost).
    gain = np.where(dc <= slack, ds, -np.inf).astype(np.float64)
    partner = np.full(len(moves), -1)
    # A pair that gains has a move that gains: only those lead (any move may lead back within the budget).
    lead = np.arange(len(moves)) if must else np.flatnonzero(ds > 0)
    order = np.lexsort((dc, lot))
    keys, sorted_lot, sorted_ds = _keys(lot[order], dc[order]), lot[order], ds[order]
    starts = np.flatnonzero(np.r_[True, sorted_lot[1:] != sorted_lot[:-1]])
    top = _segment_accumulate(sorted_ds, starts)
    where = _segment_accumulate(np.where(sorted_ds == top, np.arange(len(order)), -1), starts)
    lots = sorted_lot[starts]
    at = np.searchsorted(keys, _keys(lots[None, :], slack - dc[lead][:, None]), side="right") - 1
    valid = (
        (at >= 0) & (sorted_lot[np.maximum(at, 0)] == lots[None, :]) & (lots[None, :] != lot[lead][:, None])
    )
    total = np.where(valid, ds[lead][:, None] + top[np.maximum(at, 0)], -np.inf)
    best = np.argmax(total, axis=1)
    pick = total[np.arange(len(lead)), best]
    better = pick > gain[lead]
    gain[lead[better]] = pick[better]
    partner[lead[better]] = order[where[at[np.arange(len(lead)), best]]][better]
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


def _keys(lot: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """One sortable number per (lot, cost): costs of one exchange stay far within ±2⁴⁰ cents."""
    return lot.astype(np.int64) * (1 << 42) + cost.astype(np.int64) + (1 << 41)


def _segment_accumulate(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The running maximum of `values` restarted at each index in `starts`."""
    out = values.astype(np.int64).copy()
    for a, b in itertools.pairwise([*starts.tolist(), len(values)]):
        out[a:b] = np.maximum.accumulate(out[a:b])
    return out
