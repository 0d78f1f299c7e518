"""The search behind price to win: witnesses, exchanges and solves on the probe model, one line at a time.

Method and proofs: docs/decisions/0004-lp-formulation.md (Price to win). The public entry points are in
minicompetition.engine.price_to_win.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from minicompetition.engine.exchange import Shape, exchange, improve
from minicompetition.engine.probe import Found, ProbeModel
from minicompetition.engine.scoring import (
    EngineError,
    EngineResult,
    Key,
    Problem,
    Status,
    break_even_price,
    lot_totals_at,
    score_lines,
)
from minicompetition.engine.solve import solve

Value = tuple[int, int]  # (participants served, total score)
_MOST_STEPS = 500  # exchanges climbed before a solve is asked, at most


class Search:
    """Everything shared by the searches of one competition: the model, the run's allocation and value."""

    def __init__(self, problem: Problem, base: EngineResult, *, solver: str, time_limit_s: float) -> None:
        if base.status != Status.OPTIMAL or base.objective is None:
            raise EngineError(f"price to win needs an optimal run; this one is {base.status}: {base.message}")
        self.problem, self.solver, self.time_limit_s = problem, solver, time_limit_s
        self.scored = score_lines(problem)
        self.model = ProbeModel(problem, self.scored, time_limit_s=time_limit_s)
        self.allocation = base.allocation()
        self.base = np.array([self.allocation.get(s.key, 0) for s in self.model.live], dtype=np.int64)
        self.v0: Value = (base.objective.participants_served, base.objective.score_total)
        # When no price can let more participants be served, every comparison is of scores at this count.
        self.served_fixed = self.model.most_served_without_budget() <= self.v0[0]
        model = self.model
        group_of = np.full(model.n, -1, dtype=np.int64)
        for g, (members, _) in enumerate(model.capped):
            group_of[members] = g
        self.shape = Shape(
            lot_of=model.lot_of,
            upper=model.upper,
            min_allocation=model.min_allocation,
            max_suppliers=model.max_suppliers,
            group_of=group_of,
            group_cap=np.array([cap for _, cap in model.capped], dtype=np.int64),
        )

    def price(self, key: Key) -> int | None:
        """The line's price to win (None when not even 1 cent wins)."""
        return _Line(self, key).search()


class _Line:
    """The search for one losing line: a proven winning price below, a proven losing price above."""

    def __init__(self, shared: Search, key: Key) -> None:
        self.s, self.key = shared, key
        line = next(ln for ln in shared.problem.lines if ln.key == key)
        self.current = line.unit_price_cents or 0
        self.index = shared.model.index.get(key)
        others = [
            s.line.unit_price_cents or 0
            for s in shared.scored
            if s.admissible and s.line.lot_id == key[0] and s.key != key
        ]
        self.lowest_other = min(others, default=None)
        self.lot = [i for i, s in enumerate(shared.model.live) if s.line.lot_id == key[0]]
        self.keep: list[np.ndarray] = []  # witnesses with the line in
        self.leave: list[np.ndarray] = [shared.base]  # witnesses with the line out
        self._scores: dict[int, dict[int, int]] = {}
        self._change: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._totals: dict[
            int, tuple[np.ndarray, int, int, int]
        ] = {}  # by id: the allocation, cost, score, served
        self.climbed = False  # the last verdict came from a witness found by an exchange
        self.falls = 0  # steps taken down from a loss before any win was proven

    def search(self) -> int | None:
        if self.index is None or self.current <= 1:
            return None  # it can never take the minimum allocation, or no lower price exists
        won, lost = 0, self.current
        self.keep.extend(self._swaps())
        low = self.lowest_other or 0
        opening = (
            1 < low < self.current and not self._predicts_win(low) and not self._improved(low, self.s.v0)
        )
        if opening:
            # The guesses do not reach the lowest other price: ask there first. Above it V is the run's own
            # value, so one solve either shows the answer lies below or gives a witness to climb from.
            probe = low
        elif self.keep:
            self._ascend(won, lost)
            probe = self._next(won, lost, bisect=False)
        else:
            guess = break_even_price(self.s.problem, key=self.key, allocation=self.s.allocation)
            probe = min(max(guess or self.current - 1, 1), self.current - 1)
        surprised = False
        while lost - won > 1:
            informed, predicted = bool(self.keep) and not opening, self._predicts_win(probe)
            self.climbed = False
            if self._wins(probe):
                won = probe
            else:
                lost = probe
            opening = False
            # A win found by an exchange is no surprise: the new witness says where to look next.
            surprised = informed and predicted != (won == probe) and not self.climbed
            if not surprised:
                self._ascend(won, lost)
            probe = self._next(won, lost, bisect=surprised)
        return won or None

    # --- values at a price ------------------------------------------------------------------------

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

    # --- proofs -----------------------------------------------------------------------------------

    def _solve(self, price: int, *, keep: bool, at_least: Value | None, first: bool = False) -> Found | None:
        """The best allocation with the line in (or out) at the price; None when none reaches `at_least`."""
        s, i = self.s, self.index
        assert i is not None  # noqa: S101
        scores = self.scores(price)
        served = s.v0[0]
        if not s.served_fixed:
            most = s.model.best(line=i, price=price, scores=scores, keep=keep, served=0, by_served=True)
            if most is None or (at_least is not None and most.served < at_least[0]):
                return None
            served = most.served
            if at_least is not None and served > at_least[0]:
                at_least = None  # any score beats a value that serves fewer
        found = s.model.best(
            line=i,
            price=price,
            scores=scores,
            keep=keep,
            served=served,
            at_least=None if at_least is None else at_least[1],
            first=first and at_least is not None,
        )
        if found is None:
            return None
        (self.keep if keep else self.leave).append(found.values)
        if not found.proven and at_least is not None and found.value < at_least:
            # Stopped at a first allocation short of the mark: that proves nothing; search to the end.
            return self._solve(price, keep=keep, at_least=at_least)
        # Searched to the end, HiGHS may still hand back an allocation short of the cut-off it was given (one
        # met on the way): then none reaches the cut-off.
        if found.proven and at_least is not None and found.value < at_least:
            return None
        return found

    def _swaps(self) -> list[np.ndarray]:
        """Guesses with the line in: the run's allocation with the line taking a winner's place (or joining),
        the rest of the lot's demand refilled from its other winners, best score first."""
        model, i, base = self.s.model, self.index, self.s.base
        assert i is not None  # noqa: S101
        selected = [j for j in self.lot if base[j] > 0]
        out = []
        for j in [*selected, None]:
            if j is None and len(selected) >= model.max_suppliers:
                continue
            x = base.copy()
            if j is not None:
                x[j] = 0
            room = int(model.demand[model.lot_of[i]]) - int(x[self.lot].sum())
            x[i] = min(int(model.upper[i]), room)
            for k in sorted((k for k in selected if k != j), key=lambda k: -int(model.score[k])):
                room = int(model.demand[model.lot_of[i]]) - int(x[self.lot].sum())
                x[k] += max(0, min(room, int(model.upper[k]) - int(x[k])))
            if x[i] >= model.min_allocation and model.feasible(x, line=i, price=1, keep=True):
                out.append(x)
        return out

    def _wins(self, price: int) -> bool:
        """Whether the line wins at the price, proven by solves and witnesses (the engine at equality).

        Leaving the line out (V) never beats the run's own value v0: without the line the budget row is the
        run's, and its lot's other scores only fall once its price is below theirs. So a witness above v0
        wins outright, and V needs a solve only below the lot's lowest other price, where V may be less.
        A solve with the line in stops at the first allocation found above the mark.
        """
        v0 = self.s.v0
        exact_leave: Value | None = None
        if self.lowest_other is not None and price >= self.lowest_other:
            exact_leave = v0  # the lot's lowest price is not the line's: leaving it out is the run
        else:
            # Below it both sides move with the price: sharpen the best known allocations without and with it.
            self._improve_leave(price)
            self._improved(price, self._best_leave(price))
        keep = self._best_keep(price)
        if keep is not None and keep > v0:
            return True
        if self._climb(price, v0) or self._improved(price, v0):
            return True  # exchanges found a witness above v0
        floor = exact_leave or self._best_leave(price)
        if keep is not None and keep > floor:  # below the lowest other price: can leaving it out do as well?
            found = self._solve(price, keep=False, at_least=keep)
            if found is None:
                return True
            exact_leave = found.value
            if keep > exact_leave:
                return True
        if exact_leave is None:
            # Below the lowest other price: is there an allocation with the line at least as good as the
            # best known without it (the first one found will do), and can leaving it out beat that? Asked
            # for an optimum against a loose floor, HiGHS spent seconds far below the lowest other price.
            some = self._solve(price, keep=True, at_least=floor, first=True)
            if some is None:
                return False  # W < floor ≤ V
            found = self._solve(price, keep=False, at_least=some.value)
            if found is None:
                return True
            exact_leave = found.value
        # Any allocation above the mark will do: proving the optimum far above it can take seconds, and the
        # exchanges climb from the first one found to where a solved optimum would have led.
        best = self._solve(price, keep=True, at_least=exact_leave, first=True)
        if best is None:
            return False
        if best.value != exact_leave:
            return best.value > exact_leave
        return self._engine_wins(price)

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

    def _engine_wins(self, price: int) -> bool:
        """At exactly equal values the engine's own allocation decides, as a full re-solve would."""
        lines = tuple(
            replace(ln, unit_price_cents=price) if ln.key == self.key else ln for ln in self.s.problem.lines
        )
        result = solve(
            replace(self.s.problem, lines=lines), solver=self.s.solver, time_limit_s=self.s.time_limit_s
        )
        if result.status != Status.OPTIMAL:
            raise EngineError(
                f"price to win: the re-solve at {price} cents is {result.status}: {result.message}"
            )
        return result.allocation().get(self.key, 0) > 0

    # --- where to look next -----------------------------------------------------------------------

    def _next(self, won: int, lost: int, *, bisect: bool) -> int:
        """Where the witnesses say the line stops winning, within (won, lost); halfway after a surprise."""
        if lost - won <= 1:
            return won
        low, high = won + 1, lost - 1
        if bisect or not self.keep:
            return (won + lost) // 2
        if self._predicts_win(high):
            return high
        if not self._predicts_win(low):
            # Nothing predicted to win: right above a proven win; with none proven yet, steps growing down
            # from the lowest proven loss (a loss is a quick "nothing better"; a win far below costs seconds).
            if won:
                return low
            step = max(1, lost // 32) << self.falls
            self.falls += 1
            return max(won + 1, lost - step)
        while high - low > 1:
            mid = (low + high) // 2
            if self._predicts_win(mid):
                low = mid
            else:
                high = mid
        return low
