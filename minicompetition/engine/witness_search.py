"""The search behind price to win: witnesses, exchanges and solves on the probe model, one line at a time.

Method and proofs: docs/decisions/0004-lp-formulation.md (Price to win). The public entry points are in
minicompetition.engine.price_to_win.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np

from minicompetition.engine.exchange import Shape
from minicompetition.engine.probe import Found, ProbeModel
from minicompetition.engine.scoring import (
    EngineError,
    EngineResult,
    Key,
    Problem,
    Status,
    break_even_price,
    score_lines,
)
from minicompetition.engine.solve import solve
from minicompetition.engine.witness_climb import Value, Witnesses

_NEIGHBOURS = 6  # lots set free beside the line's own in a solve over a neighbourhood


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
        self.hot: Counter[int] = Counter()  # lots where the solver's answers differ from the run's allocation
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


class _Line(Witnesses):
    """The search for one losing line: a proven winning price below, a proven losing price above."""

    def __init__(self, shared: Search, key: Key) -> None:
        super().__init__(shared, key)
        line = next(ln for ln in shared.problem.lines if ln.key == key)
        self.current = line.unit_price_cents or 0
        self.lot = [i for i, s in enumerate(shared.model.live) if s.line.lot_id == key[0]]
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
        s.hot.update(np.unique(s.model.lot_of[found.values != s.base]).tolist())
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
            floor = self._best_leave(price)
            if not self._improved(price, floor) and self._best_keep(price) is None:
                self._neighbourhood(price, floor)
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

    def _neighbourhood(self, price: int, floor: Value) -> None:
        """A solve over a few lots (the line's, its supplier's other lots, and those where the solver's
        answers most often differed from the run's; the rest as in the best witness within the budget) for
        an allocation with the line beating `floor`, kept as a witness. Cheap: most columns are fixed."""
        s, i = self.s, self.index
        assert i is not None  # noqa: S101
        model = s.model
        within = [(v, n) for n, x in enumerate(self.keep) if (v := self.value(x, price)) is not None]
        start = self.keep[max(within)[1]] if within else s.base
        lots = {int(model.lot_of[i]), *(lot for lot, _ in s.hot.most_common(_NEIGHBOURS))}
        if (g := int(s.shape.group_of[i])) >= 0:
            lots |= set(model.lot_of[s.shape.group_of == g].tolist())
        fixed = np.where(np.isin(model.lot_of, list(lots)), -1, start)
        found = model.best(
            line=i,
            price=price,
            scores=self.scores(price),
            keep=True,
            served=floor[0],
            at_least=floor[1] + 1,
            first=True,
            fixed=fixed,
        )
        if found is not None and found.value > floor:
            self.keep.append(found.values)

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
