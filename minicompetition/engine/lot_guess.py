"""A first allocation for price to win's questions, without a solve: each lot's best vertex at the bound's λ.

At the λ where each lot's best vertex (engine.lot_bound), the cheapest among equals, fits the budget together,
that choice is within the budget and close to the best allocation at full demand (the classic greedy answer to
a choice of one option per class under one budget). It may break a supplier-wide capacity: then the lot
holding the supplier switches to the vertex losing the least score that brings it back. Then the budget left
buys the best single upgrades. Only a guess: the caller re-checks it in integers, and a solve decides when it
does not reach the mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from minicompetition.engine.lot_bound import LotBound

_STEPS = 8  # repairs of a capacity, and upgrades, at most


@dataclass(frozen=True)
class Asked:
    """One question to the bound: each vertex's score and cost, the vertices allowed, λ (P / 2²⁰, float)."""

    vs: np.ndarray
    vc: np.ndarray
    allowed: np.ndarray
    p: int
    lam: float


def choose(bound: LotBound, asked: Asked) -> np.ndarray | None:
    """One vertex per lot (their indices), within the budget and the capacities; None when not found."""
    vs, vc, allowed, lot = asked.vs, asked.vc, asked.allowed, bound.vertex_lot
    value = np.where(allowed, vs - asked.lam * vc, -np.inf)
    # Per lot the best vertex at λ, the cheapest among equals (lexsort: lot, then value down, then cost).
    order = np.lexsort((vc, -value, lot))
    chosen = order[np.flatnonzero(np.r_[True, lot[order][1:] != lot[order][:-1]])]
    if not np.all(allowed[chosen]):
        return None
    for _ in range(_STEPS):
        if not _repair(bound, asked, chosen):
            break
    for _ in range(_STEPS):
        if not _save(bound, asked, chosen):
            break
    used = bound.usage[chosen].sum(axis=0)
    if np.any(used > bound.group_cap) or int(vc[chosen].sum()) > bound.budget:
        return None
    for _ in range(_STEPS):
        if not _upgrade(bound, asked, chosen):
            break
    return chosen


def _fits(bound: LotBound, chosen: np.ndarray, candidates: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Whether switching each candidate vertex's lot to it keeps every capacity within `limit`."""
    lot = bound.vertex_lot[candidates]
    used = bound.usage[chosen].sum(axis=0)
    uses = used[None, :] - bound.usage[chosen[lot]] + bound.usage[candidates]
    return np.all(uses <= limit[None, :], axis=1)


def _repair(bound: LotBound, asked: Asked, chosen: np.ndarray) -> bool:
    """Bring the most exceeded capacity back (or nearer), losing the least score; False when nothing is over
    or nothing helps. Switches never raise another capacity over its limit; the budget is mended after."""
    used = bound.usage[chosen].sum(axis=0)
    over = used - bound.group_cap
    if not np.any(over > 0):
        return False
    g = int(np.argmax(over))
    lot = bound.vertex_lot
    now = bound.usage[chosen][lot, g]
    candidates = np.flatnonzero(asked.allowed & (bound.usage[:, g] < now))
    candidates = candidates[_fits(bound, chosen, candidates, np.maximum(bound.group_cap, used))]
    if not len(candidates):
        return False
    fixes = used[g] - now[candidates] + bound.usage[candidates, g] <= bound.group_cap[g]
    pool = candidates[fixes] if fixes.any() else candidates
    loss = asked.vs[chosen][lot[pool]] - asked.vs[pool]
    best = int(pool[np.argmin(loss)])
    chosen[lot[best]] = best
    return True


def _save(bound: LotBound, asked: Asked, chosen: np.ndarray) -> bool:
    """Over the budget: the switch of one lot that saves cents at the least score lost per cent (one that
    brings the cost back within the budget when there is one), within the capacities; False when within it."""
    over = int(asked.vc[chosen].sum()) - bound.budget
    if over <= 0:
        return False
    lot = bound.vertex_lot
    saved = asked.vc[chosen][lot] - asked.vc
    candidates = np.flatnonzero(asked.allowed & (saved > 0))
    candidates = candidates[_fits(bound, chosen, candidates, bound.group_cap)]
    if not len(candidates):
        return False
    loss = asked.vs[chosen][lot[candidates]] - asked.vs[candidates]
    enough = saved[candidates] >= over
    if enough.any():
        best = int(candidates[enough][np.argmin(loss[enough])])
    else:
        best = int(candidates[np.argmin(loss / saved[candidates])])
    chosen[lot[best]] = best
    return True


def _upgrade(bound: LotBound, asked: Asked, chosen: np.ndarray) -> bool:
    """The single switch of one lot that gains the most score within the budget and the capacities."""
    lot = bound.vertex_lot
    cost = int(asked.vc[chosen].sum()) - asked.vc[chosen][lot] + asked.vc
    gain = asked.vs - asked.vs[chosen][lot]
    candidates = np.flatnonzero(asked.allowed & (cost <= bound.budget) & (gain > 0))
    candidates = candidates[_fits(bound, chosen, candidates, bound.group_cap)]
    if not len(candidates):
        return False
    best = int(candidates[np.argmax(gain[candidates])])
    chosen[lot[best]] = best
    return True
