"""A bound for price to win's questions: the budget priced out, every lot then solved on its own, exactly.

When a question asks for every lot's whole demand (the served row at Σ demand), each lot's allocations are
the integer points of a few small polytopes, one per set of at most K suppliers: {m ≤ x ≤ U, Σ x = demand}
(an interval matrix, so its vertices are integral: each fills the set's lines in some order, every line first
taking the minimum). Pricing the budget at λ score units per cent and leaving out the supplier-wide
capacities (a relaxation), the best allocation at any λ is the best vertex of each lot:

    score(x) ≤ λ·budget + Σ_lots max_vertex (score − λ·cost)     for every allocation x within the budget.

The same with a line forced in takes, in its lot, only the vertices that hold it. A line whose bound is below
the score asked for is in no allocation reaching it and can be fixed at 0 before the solve; when the bound
itself is below it, no allocation reaches it and the solve is not needed. In integers: λ = P / 2²⁰.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

from minicompetition.engine import lot_guess

_SCALE = 1 << 20  # λ = P / _SCALE
_MOST_LAMBDA = (
    10_000.0  # score units per cent searched at most (any λ gives a bound; this one overflows never)
)
_MOST_VERTICES = 50_000  # per lot; more (many lines and a high supplier limit) and the bound is not used


class LotBound:
    """Every lot's vertices (allocations at full demand), built once per competition."""

    def __init__(
        self,
        *,
        lot_of: np.ndarray,
        upper: np.ndarray,
        demand: np.ndarray,
        min_allocation: int,
        max_suppliers: int,
        score: np.ndarray,
        price: np.ndarray,
        budget: int,
        group_of: np.ndarray,
        group_cap: np.ndarray,
    ) -> None:
        self.score, self.price, self.budget = score.astype(np.int64), price.astype(np.int64), budget
        self.group_cap = group_cap.astype(np.int64)
        self.demand_total = int(demand.sum())
        self.lot_of = lot_of
        rows: list[np.ndarray] = []  # per vertex: its column indices and amounts
        lots: list[int] = []
        self.usable = True
        self._last: tuple[object, lot_guess.Asked | None] | None = None
        self._lam = 1.0  # the last question's λ: the next one's is usually near it
        for lot in range(len(demand)):
            members = np.flatnonzero(lot_of == lot)
            found = _vertices(members, upper[members], int(demand[lot]), min_allocation, max_suppliers)
            if found is None:
                self.usable = False
                return
            rows.extend(found)
            lots.extend([lot] * len(found))
        self.lots = len(demand)
        self.vertex_lot = np.array(lots, dtype=np.int64)
        # Incidence (vertex, column, amount), sorted by vertex: one row per column a vertex holds.
        self.inc_vertex = np.repeat(np.arange(len(rows)), [len(r) for r in rows]).astype(np.int64)
        self.inc_column = np.concatenate([r[:, 0] for r in rows]) if rows else np.zeros(0, np.int64)
        self.inc_amount = np.concatenate([r[:, 1] for r in rows]) if rows else np.zeros(0, np.int64)
        self.vertices = len(rows)
        self.starts = np.flatnonzero(np.r_[True, self.inc_vertex[1:] != self.inc_vertex[:-1]])
        # Participants each vertex gives each supplier-wide capacity (vertices × capacities).
        self.usage = np.zeros((len(rows), len(group_cap)), dtype=np.int64)
        capped = group_of[self.inc_column] >= 0
        np.add.at(
            self.usage,
            (self.inc_vertex[capped], group_of[self.inc_column[capped]]),
            self.inc_amount[capped],
        )

    def prune(
        self,
        *,
        line: int,
        keep: bool,
        price: int,
        scores: Mapping[int, int],
        served: int,
        at_least: int,
    ) -> np.ndarray | None:
        """Columns no allocation reaching `at_least` (score, the line in or out, at the price) can hold.

        None when the bound shows that no allocation reaches it at all. Nothing is pruned (an all-False mask)
        when the question does not ask for every lot's whole demand or the bound cannot be built."""
        nothing = np.zeros(len(self.score), dtype=bool)
        if not self.usable or served < self.demand_total:
            return nothing
        asked = self._question(line=line, keep=keep, price=price, scores=scores)
        if asked is None:
            return None  # some lot cannot take its whole demand as asked
        vs, vc, allowed, p = asked.vs, asked.vc, asked.allowed, asked.p
        if _SCALE * int(np.abs(vs).max()) + p * int(np.abs(vc).max()) >= 1 << 60:
            return nothing  # int64 could overflow: no pruning
        value = np.where(allowed, _SCALE * vs - p * vc, np.iinfo(np.int64).min // 4)
        per_lot = np.full(self.lots, np.iinfo(np.int64).min // 4, dtype=np.int64)
        np.maximum.at(per_lot, self.vertex_lot, value)
        total = int(per_lot.sum()) + p * self.budget
        target = _SCALE * at_least
        if total < target:
            return None
        # With a column forced in: its lot's best vertex among those holding it.
        with_column = np.full(len(self.score), np.iinfo(np.int64).min // 4, dtype=np.int64)
        np.maximum.at(with_column, self.inc_column, value[self.inc_vertex])
        bound = total - per_lot[self.lot_of] + with_column
        return bound < target

    def candidate(
        self, *, line: int, keep: bool, price: int, scores: Mapping[int, int], served: int
    ) -> np.ndarray | None:
        """An allocation at full demand within the budget and the supplier-wide capacities, built from each
        lot's best vertex (engine.lot_guess). A guess: callers check it. None when there is none to offer."""
        if not self.usable or served < self.demand_total:
            return None
        asked = self._question(line=line, keep=keep, price=price, scores=scores)
        if asked is None:
            return None
        chosen = lot_guess.choose(self, asked)
        if chosen is None:
            return None
        x = np.zeros(len(self.score), dtype=np.int64)
        rows = np.isin(self.inc_vertex, chosen)
        np.add.at(x, self.inc_column[rows], self.inc_amount[rows])
        return x

    def _question(
        self, *, line: int, keep: bool, price: int, scores: Mapping[int, int]
    ) -> lot_guess.Asked | None:
        """Each vertex's score and cost at the price, the vertices the question allows and a λ near the
        lowest bound; None when some lot has no vertex allowed. The last question is kept (asked twice)."""
        key = (line, keep, price, tuple(sorted(scores.items())))
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        out: lot_guess.Asked | None = None
        if self.vertices:
            score, cost = self.score.copy(), self.price.copy()
            for j, s in scores.items():
                score[j] = s
            cost[line] = price
            vs = np.add.reduceat(self.inc_amount * score[self.inc_column], self.starts)
            vc = np.add.reduceat(self.inc_amount * cost[self.inc_column], self.starts)
            holds = np.zeros(self.vertices, dtype=bool)
            holds[self.inc_vertex[self.inc_column == line]] = True
            allowed = (holds if keep else ~holds) | (self.vertex_lot != self.lot_of[line])
            if np.all(np.bincount(self.vertex_lot[allowed], minlength=self.lots) > 0):
                p, lam = _best_price(
                    vs[allowed], vc[allowed], self.vertex_lot[allowed], self.budget, self._lam
                )
                self._lam = lam
                out = lot_guess.Asked(vs, vc, allowed, p, lam)
        self._last = (key, out)
        return out


def _best_price(
    vs: np.ndarray, vc: np.ndarray, lot: np.ndarray, budget: int, hint: float
) -> tuple[int, float]:
    """A λ near the lowest bound, as P (λ = P / 2²⁰) and as the float where each lot's cheapest best vertex
    fits the budget together: bisection on the bound's slope from around `hint` (any λ ≥ 0 gives a bound).
    `lot` is sorted: the vertices are listed lot by lot."""
    starts = np.flatnonzero(np.r_[True, lot[1:] != lot[:-1]])
    sizes = np.diff(np.r_[starts, len(lot)])

    def over(lam: float) -> bool:
        value = vs - lam * vc
        is_best = value == np.repeat(np.maximum.reduceat(value, starts), sizes)
        return float(np.minimum.reduceat(np.where(is_best, vc, np.inf), starts).sum()) > budget

    low, high = hint / 2, max(hint * 2, 1e-6)
    while over(high) and high < _MOST_LAMBDA:
        low, high = high, min(high * 4, _MOST_LAMBDA)
    while low > 1e-9 and not over(low):
        low, high = low / 4, low
    if low <= 1e-9:
        low = 0.0
    while high - low > 1e-7 * high:
        mid = (low + high) / 2
        if over(mid):
            low = mid
        else:
            high = mid
    return round(high * _SCALE), high


def _vertices(
    members: np.ndarray, upper: np.ndarray, demand: int, minimum: int, most: int
) -> list[np.ndarray] | None:
    """Every vertex of the lot's allocations at full demand, as arrays of rows (column, amount); None when
    there are too many to list."""
    n = len(members)
    count = sum(_falling(n, k) for k in range(1, min(most, n) + 1))
    if count > _MOST_VERTICES:
        return None
    out: dict[tuple[tuple[int, int], ...], np.ndarray] = {}
    for k in range(1, min(most, n) + 1):
        if k * minimum > demand:
            break
        for chosen in itertools.combinations(range(n), k):
            if sum(int(upper[a]) for a in chosen) < demand:
                continue
            for order in itertools.permutations(chosen):
                left = demand - k * minimum
                amounts = {}
                for a in order:
                    extra = min(left, int(upper[a]) - minimum)
                    amounts[a] = minimum + extra
                    left -= extra
                key = tuple(sorted((int(members[a]), amounts[a]) for a in chosen))
                out.setdefault(key, np.array(key, dtype=np.int64))
    return list(out.values())


def _falling(n: int, k: int) -> int:
    """n × (n − 1) × … × (n − k + 1): the ordered choices of k among n."""
    out = 1
    for i in range(k):
        out *= n - i
    return out
