"""One line's question to the allocation program at one price, on a HiGHS model built once, changed in place.

Price to win asks, price after price, for the best allocation with one line kept in (or kept out) when that
line's unit price changes. Only the line's budget coefficient and the scores of its lot's lines move, so the
model is built once per competition and each question is a single MIP solve on it (no presolve and no primal
heuristics: on these models they cost more than the search they save). Every answer is re-checked in integers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from minicompetition.engine.lot_bound import LotBound
from minicompetition.engine.scoring import EngineError, Problem, ScoredLine

_OPTIONS: dict[str, bool | float | str] = {
    "output_flag": False,
    "mip_rel_gap": 0.0,
    "mip_abs_gap": 0.0,
    "presolve": "off",
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
}


# The model is scaled for HiGHS: the budget row in thousands of cents and scores in points. Unscaled (cents
# up to 1e8 beside 0/1 rows, scores summing to 1e9) HiGHS reports allocations hundreds of score units short
# of the optimum as optimal; scaled it finds them. Answers are still re-checked in integers, unscaled.
BUDGET_SCALE = 1_000.0
_NO_LIMIT = 2_147_483_647  # HiGHS's default for mip_max_improving_sols
SCORE_SCALE = 10_000.0


@dataclass(frozen=True)
class Found:
    """An optimal allocation of the model's columns and its value: participants served, then total score."""

    values: np.ndarray
    served: int
    score: int
    proven: bool = True  # searched to the end (not stopped at the first allocation found)

    @property
    def value(self) -> tuple[int, int]:
        """The lexicographic value (served, score)."""
        return (self.served, self.score)


class ProbeModel:
    """The allocation program over the lines that can take the minimum allocation, as one HiGHS model."""

    def __init__(self, problem: Problem, scored: Sequence[ScoredLine], *, time_limit_s: float) -> None:
        rules = problem.rules
        self.min_allocation = rules.min_allocation
        self.live = [s for s in scored if s.admissible and s.upper >= rules.min_allocation]
        self.index = {s.key: i for i, s in enumerate(self.live)}
        n = len(self.live)
        self.n = n
        self.upper = np.array([s.upper for s in self.live], dtype=np.int64)
        self.price = np.array([s.line.unit_price_cents or 0 for s in self.live], dtype=np.int64)
        self.score = np.array([s.total_score or 0 for s in self.live], dtype=np.int64)
        self.budget = problem.budget_cents
        lots = sorted({s.line.lot_id for s in self.live})
        self.lot_of = np.array([lots.index(s.line.lot_id) for s in self.live], dtype=np.int64)
        demand = {lot.lot_id: lot.demand for lot in problem.lots}
        self.demand = np.array([demand[x] for x in lots], dtype=np.int64)
        self.max_suppliers = rules.max_suppliers_per_lot
        caps = {c.supplier_id: c.capacity for c in problem.supplier_capacities}
        suppliers = sorted({s.line.supplier_id for s in self.live if s.line.supplier_id in caps})
        self.capped = [
            (
                np.array([i for i, s in enumerate(self.live) if s.line.supplier_id == who], dtype=np.int64),
                caps[who],
            )
            for who in suppliers
        ]
        self.time_limit_s = time_limit_s
        self.highs = self._build(lots)
        group_of = np.full(n, -1, dtype=np.int64)
        for g, (members, _) in enumerate(self.capped):
            group_of[members] = g
        self._group_of, self._in_group = group_of, group_of >= 0
        self._group_cap = np.array([cap for _, cap in self.capped], dtype=np.int64)
        self.bound = LotBound(
            lot_of=self.lot_of,
            upper=self.upper,
            demand=self.demand,
            min_allocation=self.min_allocation,
            max_suppliers=self.max_suppliers,
            score=self.score,
            price=self.price,
            budget=self.budget,
            group_of=group_of,
            group_cap=self._group_cap,
        )

    def _build(self, lots: list[str]) -> highspy.Highs:
        h = highspy.Highs()
        for name, value in _OPTIONS.items():
            h.setOptionValue(name, value)
        n, inf, m = self.n, highspy.kHighsInf, self.min_allocation
        costs = np.concatenate([-self.score.astype(np.float64) / SCORE_SCALE, np.zeros(n)])
        upper = np.concatenate([self.upper.astype(np.float64), np.ones(n)])
        h.addCols(
            2 * n, costs, np.zeros(2 * n), upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0)
        )
        kinds = np.full(2 * n, int(highspy.HighsVarType.kInteger), dtype=np.uint8)
        h.changeColsIntegrality(2 * n, np.arange(2 * n, dtype=np.int32), kinds)
        rows: list[tuple[float, float, list[int], list[float]]] = []
        for i in range(n):
            rows.append((-inf, 0.0, [i, n + i], [1.0, -float(self.upper[i])]))
            rows.append((0.0, inf, [i, n + i], [1.0, -float(m)]))
        for j in range(len(lots)):
            idx = [i for i in range(n) if self.lot_of[i] == j]
            rows.append((-inf, float(self.demand[j]), idx, [1.0] * len(idx)))
            rows.append((-inf, float(self.max_suppliers), [n + i for i in idx], [1.0] * len(idx)))
        for members, cap in self.capped:
            rows.append((-inf, float(cap), [int(i) for i in members], [1.0] * len(members)))
        self.budget_row = len(rows)
        rows.append(
            (-inf, self.budget / BUDGET_SCALE, list(range(n)), [p / BUDGET_SCALE for p in self.price])
        )
        self.served_row = len(rows)
        rows.append((0.0, inf, list(range(n)), [1.0] * n))
        starts = np.cumsum([0] + [len(r[2]) for r in rows[:-1]]).astype(np.int32)
        h.addRows(
            len(rows),
            np.array([r[0] for r in rows]),
            np.array([r[1] for r in rows]),
            int(sum(len(r[2]) for r in rows)),
            starts,
            np.array([i for r in rows for i in r[2]], dtype=np.int32),
            np.array([v for r in rows for v in r[3]]),
        )
        return h

    def best(
        self,
        *,
        line: int,
        price: int,
        scores: Mapping[int, int],
        keep: bool,
        served: int,
        at_least: int | None = None,
        by_served: bool = False,
        first: bool = False,
        fixed: np.ndarray | None = None,
    ) -> Found | None:
        """The best allocation with `line` kept in (or out) at `price`.

        None if none serves `served` and scores `at_least`. By served: most participants first (the score is
        then that allocation's). With `first`, the first allocation found reaching `at_least` is enough. With
        `fixed` (an allocation, -1 where free), the other columns keep its values: a small neighbourhood.
        Otherwise, against a mark, the lines the bound (engine.lot_bound) rules out are fixed at 0 first, and
        when it rules out every allocation the solve is not needed."""
        h, n = self.highs, self.n
        if fixed is None and at_least is not None and not by_served:
            out = self.bound.prune(
                line=line, keep=keep, price=price, scores=scores, served=served, at_least=at_least
            )
            if out is None:
                return None
            guess = (
                self._guess(line=line, keep=keep, price=price, scores=scores, served=served)
                if first
                else None
            )
            if guess is not None and guess.score >= at_least:
                return guess
            if out.any():
                fixed = np.where(out, 0, -1)
        if fixed is not None:
            self._fix(fixed)
        changed = {i: -s / SCORE_SCALE for i, s in scores.items()}
        if by_served:
            changed = {i: -1.0 for i in range(n)}
        self._costs(changed)
        h.changeCoeff(self.budget_row, line, price / BUDGET_SCALE)
        if keep:
            h.changeColBounds(n + line, 1.0, 1.0)
        else:
            h.changeColBounds(line, 0.0, 0.0)
            h.changeColBounds(n + line, 0.0, 0.0)
        h.changeRowBounds(self.served_row, float(served), highspy.kHighsInf)
        # The cutoff prunes every branch that cannot reach the score asked for (scores are integers).
        cutoff = highspy.kHighsInf if at_least is None else (0.5 - at_least) / SCORE_SCALE
        h.setOptionValue("objective_bound", cutoff)
        h.setOptionValue("time_limit", self.time_limit_s)
        h.setOptionValue("mip_max_improving_sols", 1 if first else _NO_LIMIT)
        # With most columns fixed, presolve removes them and the search is about twice as quick; on the whole
        # model it costs more than it saves.
        h.setOptionValue("presolve", "off" if fixed is None else "on")
        try:
            h.run()
            status = h.getModelStatus()
            values = np.rint(np.array(h.getSolution().col_value[:n])).astype(np.int64)
        finally:
            if fixed is not None:
                self._fix(np.full(n, -1, dtype=np.int64))
            h.changeColBounds(line, 0.0, float(self.upper[line]))
            h.changeColBounds(n + line, 0.0, 1.0)
            h.changeCoeff(self.budget_row, line, float(self.price[line]) / BUDGET_SCALE)
            self._costs({i: -float(self.score[i]) / SCORE_SCALE for i in (range(n) if by_served else scores)})
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        stopped = first and status == highspy.HighsModelStatus.kSolutionLimit
        if status != highspy.HighsModelStatus.kOptimal and not stopped:
            raise EngineError(f"price to win: HiGHS stopped with status {h.modelStatusToString(status)}")
        if not self.feasible(values, line=line, price=price, keep=keep):
            raise EngineError("price to win: the solver's allocation breaks a constraint when re-checked")
        total = self.score.copy()
        for i, s in scores.items():
            total[i] = s
        return Found(values, int(values.sum()), int(total @ values), proven=not stopped)

    def _guess(
        self, *, line: int, keep: bool, price: int, scores: Mapping[int, int], served: int
    ) -> Found | None:
        """The bound's allocation (engine.lot_bound), when it meets every constraint: no solve."""
        x = self.bound.candidate(line=line, keep=keep, price=price, scores=scores, served=served)
        if x is None or int(x.sum()) < served or not self.feasible(x, line=line, price=price, keep=keep):
            return None
        total = self.score.copy()
        for i, s in scores.items():
            total[i] = s
        return Found(x, int(x.sum()), int(total @ x), proven=False)

    def most_served_without_budget(self) -> int:
        """The most participants any allocation serves at any prices: the budget row lifted."""
        if not self.n:
            return 0
        h, n = self.highs, self.n
        self._costs({i: -1.0 for i in range(n)})
        h.changeRowBounds(self.budget_row, -highspy.kHighsInf, highspy.kHighsInf)
        h.setOptionValue("objective_bound", highspy.kHighsInf)
        h.setOptionValue("time_limit", self.time_limit_s)
        try:
            h.run()
            status = h.getModelStatus()
            served = round(-h.getInfo().objective_function_value)
        finally:
            h.changeRowBounds(self.budget_row, -highspy.kHighsInf, self.budget / BUDGET_SCALE)
            self._costs({i: -float(self.score[i]) / SCORE_SCALE for i in range(n)})
        if status != highspy.HighsModelStatus.kOptimal:
            raise EngineError(f"price to win: HiGHS stopped with status {h.modelStatusToString(status)}")
        return served

    def _fix(self, values: np.ndarray) -> None:
        """Fix each column with a value ≥ 0 (and its binary) to that value; the rest get their bounds back."""
        n = self.n
        free = values < 0
        on = (values > 0).astype(np.float64)
        lower = np.concatenate([np.where(free, 0.0, values), np.where(free, 0.0, on)])
        upper = np.concatenate([np.where(free, self.upper, values), np.where(free, 1.0, on)])
        cols = np.arange(2 * n, dtype=np.int32)
        self.highs.changeColsBounds(2 * n, cols, lower.astype(np.float64), upper.astype(np.float64))

    def _costs(self, costs: Mapping[int, float]) -> None:
        if costs:
            idx = np.array(sorted(costs), dtype=np.int32)
            self.highs.changeColsCost(len(idx), idx, np.array([costs[int(i)] for i in idx]))

    def feasible(self, x: np.ndarray, *, line: int, price: int, keep: bool) -> bool:
        """Every constraint in integers, the line's price at `price` and the line in (or out) as asked."""
        prices = self.price.copy()
        prices[line] = price
        on = x > 0
        lots = len(self.demand)
        return not (
            bool(np.any(x < 0) or np.any(x > self.upper) or np.any(on & (x < self.min_allocation)))
            or bool(np.any(np.bincount(self.lot_of, weights=x, minlength=lots) > self.demand))
            or bool(np.any(np.bincount(self.lot_of, weights=on, minlength=lots) > self.max_suppliers))
            or bool(
                np.any(
                    np.bincount(
                        self._group_of[self._in_group],
                        weights=x[self._in_group],
                        minlength=len(self._group_cap),
                    )
                    > self._group_cap
                )
            )
            or int(prices @ x) > self.budget
            or bool(on[line]) != keep
        )
