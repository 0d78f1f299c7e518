"""Witnesses for price to win: allocations met, valued at any price in integers, and climbed by exchanges.

Part of the search for one line (minicompetition.engine.witness_search); method and proofs in
docs/decisions/0004-lp-formulation.md (Price to win).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from minicompetition.engine.exchange import exchange, improve
from minicompetition.engine.scoring import Key, lot_totals_at

if TYPE_CHECKING:
    from minicompetition.engine.witness_search import Search

Value = tuple[int, int]  # (participants served, total score)
_MOST_STEPS = 500  # exchanges climbed before a solve is asked, at most


class Witnesses:
    """One line's witnesses: allocations with the line in (keep) and out (leave), and how they climb."""

    def __init__(self, shared: Search, key: Key) -> None:
        self.s, self.key = shared, key
        self.index = shared.model.index.get(key)
        others = [
            s.line.unit_price_cents or 0
            for s in shared.scored
            if s.admissible and s.line.lot_id == key[0] and s.key != key
        ]
        self.lowest_other = min(others, default=None)  # below it, the line's price sets the lot's scores
        self.keep: list[np.ndarray] = []  # witnesses with the line in
        self.leave: list[np.ndarray] = [shared.base]  # witnesses with the line out
        self._scores: dict[int, dict[int, int]] = {}
        self._change: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        # By id: the allocation (kept, so that its id stays its own), its cost, score and served.
        self._totals: dict[int, tuple[np.ndarray, int, int, int]] = {}
        self.climbed = False  # the last verdict came from a witness found by an exchange

    def scores(self, price: int) -> dict[int, int]:
        """Total scores of the lot's lines (model columns) at the price."""
        if price not in self._scores:
            totals = lot_totals_at(self.s.problem, key=self.key, price=price)
            index = self.s.model.index
            self._scores[price] = {index[k]: v for k, v in totals.items() if k in index}
        return self._scores[price]

    def value(self, x: np.ndarray, price: int) -> Value | None:
        """An allocation's value at the price, None when the price puts it over the budget."""
        model, i = self.s.model, self.index
        assert i is not None  # noqa: S101 (searched lines have a column)
        known = self._totals.get(id(x))
        if known is None or known[0] is not x:  # the allocation is kept with its totals: its id stays its own
            known = self._totals[id(x)] = (x, int(model.price @ x), int(model.score @ x), int(x.sum()))
        _, cost, score, served = known
        if cost + (price - int(model.price[i])) * int(x[i]) > model.budget:
            return None
        columns, change = self._changes(price)
        return (served, score + int(change @ x[columns]))

    def _changes(self, price: int) -> tuple[np.ndarray, np.ndarray]:
        """The lot's columns and how much each one's score differs at the price from the run's."""
        if price not in self._change:
            scores = self.scores(price)
            columns = np.array(sorted(scores), dtype=np.int64)
            self._change[price] = (
                columns,
                np.array([scores[j] for j in columns], dtype=np.int64) - self.s.model.score[columns],
            )
        return self._change[price]

    def _best_keep(self, price: int) -> Value | None:
        return max((v for x in self.keep if (v := self.value(x, price)) is not None), default=None)

    def _best_leave(self, price: int) -> Value:
        return max(v for x in self.leave if (v := self.value(x, price)) is not None)

    def _predicts_win(self, price: int) -> bool:
        keep = self._best_keep(price)
        return keep is not None and keep > self._best_leave(price)

    # --- climbing by exchanges -------------------------------------------------------------------

    def _ascend(self, won: int, lost: int) -> None:
        """Climb the witnesses by exchanges as far as they go below `lost`, before any solve proves a price.

        Each step beats the best known value without the line one cent above the highest predicted win; the
        proofs then come once, at the top (a solve per step would cost what the exchanges save)."""
        for _ in range(_MOST_STEPS):
            top = self._highest_predicted(won, lost)
            if top is None or top + 1 >= lost:
                return
            if self.lowest_other is None or top + 1 < self.lowest_other:
                self._improve_leave(top + 1)
            if not self._climb(top + 1, self._best_leave(top + 1)) and not self._leap(top, lost):
                return

    def _leap(self, top: int, lost: int) -> bool:
        """Witnesses by steps of one or two exchanges at prices galloping up from `top` (toward `lost`)."""
        step, leapt = 1, False
        while top + step < lost and self._improved(top + step, self._best_leave(top + step)):
            leapt, step = True, step * 2
        return leapt

    def _highest_predicted(self, won: int, lost: int) -> int | None:
        """The highest price in (won, lost) the witnesses say wins (searched as if they were monotone)."""
        low, high = won + 1, lost - 1
        if low > high or not self._predicts_win(low):
            return None
        if self._predicts_win(high):
            return high
        while high - low > 1:
            mid = (low + high) // 2
            if self._predicts_win(mid):
                low = mid
            else:
                high = mid
        return low

    def _climb(self, price: int, floor: Value) -> bool:
        """Whether one exchange inside a lot turns a witness winning one cent lower into one beating `floor`
        at the price (added to the witnesses). No solve: a guess re-checked in integers."""
        s, i = self.s, self.index
        assert i is not None  # noqa: S101
        if price <= 1:
            return False
        below = [
            (v, x) for x in self.keep if (v := self.value(x, price - 1)) is not None and v[0] == floor[0]
        ]
        if not below:
            return False
        prices = s.model.price.copy()
        prices[i] = price
        scores = s.model.score.copy()
        for j, total in self.scores(price).items():
            scores[j] = total
        # Score lost per cent near the price, from below: a lower price keeps the line admissible, a higher
        # one may not (a price ceiling). Only a guess that orders the exchanges; every result is re-checked.
        lower = max(price - 1_000, 1)
        rate = max(self.scores(lower)[i] - self.scores(price)[i], 1) / (price - lower)
        for _, x in sorted(below, key=lambda vx: vx[0], reverse=True)[:2]:
            y = exchange(
                s.shape,
                x,
                line=i,
                prices=prices,
                scores=scores,
                budget=s.model.budget,
                beat=floor[1],
                rate=rate,
            )
            if y is not None and s.model.feasible(y, line=i, price=price, keep=True):
                value = self.value(y, price)
                if value is not None and value > floor:
                    self.keep.append(y)
                    self.climbed = True
                    return True
        return False

    def _improved(self, price: int, floor: Value) -> bool:
        """Whether steps of one or two exchanges (engine.exchange.improve) from the witnesses scoring most at
        the price, budget aside, give one beating `floor` there (added to the witnesses). No solve."""
        s, i = self.s, self.index
        assert i is not None  # noqa: S101
        prices = s.model.price.copy()
        prices[i] = price
        scores = s.model.score.copy()
        for j, total in self.scores(price).items():
            scores[j] = total
        same = [x for x in self.keep if int(x.sum()) == floor[0]]
        # From the best allocation within the budget at the price, and from the best scoring one over it.
        near = [max(same, key=lambda x: int(scores @ x), default=None)]
        within = [x for x in same if int(prices @ x) <= s.model.budget]
        near.insert(0, max(within, key=lambda x: int(scores @ x), default=None))
        for x in (x for n, x in enumerate(near) if x is not None and not (n and x is near[0])):
            y = improve(s.shape, x, line=i, prices=prices, scores=scores, budget=s.model.budget)
            if y is not None and s.model.feasible(y, line=i, price=price, keep=True):
                value = self.value(y, price)
                if value is not None and value > floor:
                    self.keep.append(y)
                    self.climbed = True
                    return True
        return False

    def _improve_leave(self, price: int) -> None:
        """Below the lot's lowest other price V falls with the price: steps of one or two exchanges from the
        best allocation known without the line, scored at the price, give a better one (kept as a witness)."""
        s, i = self.s, self.index
        assert i is not None  # noqa: S101
        scores = s.model.score.copy()
        for j, total in self.scores(price).items():
            scores[j] = total
        x = max(self.leave, key=lambda x: int(scores @ x))
        y = improve(
            s.shape, x, line=i, prices=s.model.price, scores=scores, budget=s.model.budget, keep=False
        )
        if (
            y is not None
            and int(scores @ y) > int(scores @ x)
            and s.model.feasible(y, line=i, price=price, keep=False)
        ):
            self.leave.append(y)
