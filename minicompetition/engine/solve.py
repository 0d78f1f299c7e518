"""The allocation engine: a lexicographic integer program over scored bid lines, solved with PuLP.

The only module in the project that imports `pulp`. Formulation and tie-breaking are explained in
docs/decisions/0004-lp-formulation.md.
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import re
import subprocess
import sys
import threading
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from time import perf_counter

import highspy  # the solver library pulp.HiGHS drives in-process
import numpy as np
import pulp

from minicompetition.engine.explain import (
    explain_limits,
    explain_unallocated,
    explain_unmet,
    line_results,
    lot_results,
)
from minicompetition.engine.scoring import (
    EngineError,
    EngineInputError,
    EngineResult,
    Objective,
    Problem,
    ScoredLine,
    Status,
    check_allocation,
    infeasibilities,
    score_lines,
)

SOLVERS = ("HiGHS", "CBC")
Key = tuple[str, str]


class _HiGHS(pulp.HiGHS):  # type: ignore[misc]
    """pulp.HiGHS with a bulk model hand-over and HiGHS's own run time."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self.run_s: float | None = None

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:
        """pulp.HiGHS's model hand-over, with whole arrays instead of one call per column and row."""
        # PuLP 3.3's version calls HiGHS once per variable and constraint; at 10 000 lines that is a
        # quarter of a second per stage. Same columns, rows and indices (findSolutionValues reads them).
        inf = highspy.kHighsInf
        columns = lp.variables()
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        objective = lp.objective or {}
        for i, v in enumerate(columns):
            v.index = i
        lp.solverModel.addCols(
            len(columns),
            np.array([sign * objective.get(v, 0.0) for v in columns], dtype=np.float64),
            np.array([-inf if v.lowBound is None else v.lowBound for v in columns], dtype=np.float64),
            np.array([inf if v.upBound is None else v.upBound for v in columns], dtype=np.float64),
            0,
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.float64),
        )
        integer = [v.index for v in columns if v.cat == pulp.LpInteger] if self.mip else []
        if integer:
            kinds = np.full(len(integer), int(highspy.HighsVarType.kInteger), dtype=np.uint8)
            lp.solverModel.changeColsIntegrality(len(integer), np.array(integer, dtype=np.int32), kinds)
        starts: list[int] = []
        indices: list[int] = []
        values: list[float] = []
        lower: list[float] = []
        upper: list[float] = []
        for i, row in enumerate(lp._constraints.values()):
            row.index = i
            starts.append(len(indices))
            for v, coefficient in row.items():
                if coefficient != 0:
                    indices.append(v.index)
                    values.append(coefficient)
            low, high = row.getLb(), row.getUb()
            lower.append(-inf if low is None else low)
            upper.append(inf if high is None else high)
        lp.solverModel.addRows(
            len(starts),
            np.array(lower, dtype=np.float64),
            np.array(upper, dtype=np.float64),
            len(indices),
            np.array(starts, dtype=np.int32),
            np.array(indices, dtype=np.int32),
            np.array(values, dtype=np.float64),
        )

    def callSolver(self, lp: pulp.LpProblem) -> None:
        """Run HiGHS, timing its own run."""
        tick = perf_counter()
        super().callSolver(lp)
        self.run_s = perf_counter() - tick  # HiGHS's own time, without PuLP's copying of the model


_banner_lock = threading.Lock()
_banner_taken = False


def _take_highs_banner() -> None:
    """Create the process's first HiGHS object with stdout and stderr pointed at /dev/null."""
    # HiGHS 1.16 prints a banner from C++ when the process's first object is created, before any
    # option (output_flag included) can be set on it; later objects print nothing unless asked.
    global _banner_taken
    with _banner_lock:
        if _banner_taken:
            return
        sys.stdout.flush()
        sys.stderr.flush()
        saved = (os.dup(1), os.dup(2))
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            highspy.Highs().silent()
            ctypes.CDLL(None).fflush(None)  # C stdio may hold the banner in its buffer
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in (*saved, devnull):
                os.close(fd)
        _banner_taken = True


def _make_solver(
    name: str, *, time_limit_s: float, warm_start: bool = False, mip: bool = True
) -> pulp.LpSolver:
    """The one place a solver is configured: silent, time-limited, and no MIP gap allowed."""
    # Gap 0: with a nonzero gap HiGHS and CBC accept different near-optimal allocations.
    if name == "HiGHS":
        _take_highs_banner()
        # No start solution for HiGHS: given the previous stage's allocation, HiGHS 1.16 reported one
        # 100 000 units short of the optimum as optimal (tests/unit/test_engine_golden.py); without it the
        # benchmark's stages take no longer.
        return _HiGHS(msg=False, mip=mip, timeLimit=time_limit_s, gapRel=0.0, gapAbs=0.0)
    with warnings.catch_warnings():
        # PULP_CBC_CMD is deprecated for PuLP 4, which drops CBC; pyproject pins pulp < 4.
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(
            msg=False,
            mip=mip,
            timeLimit=time_limit_s,
            gapRel=0.0,
            gapAbs=0.0,
            threads=1,
            warmStart=warm_start,
        )


def _check_solver(name: str) -> None:
    if name not in SOLVERS:
        raise EngineInputError(f"unknown solver {name!r}; choose one of {', '.join(SOLVERS)}")
    if not _make_solver(name, time_limit_s=1.0).available():
        raise EngineError(f"solver {name} is not available in this installation")


@functools.cache
def solver_version(name: str) -> str:
    """Version string of the named solver, for the stored run."""
    if name == "HiGHS":
        _take_highs_banner()
        return str(highspy.Highs().version())
    path = _make_solver(name, time_limit_s=1.0).path
    # Fixed argument list to the CBC binary bundled with PuLP; no shell, no user input.
    done = subprocess.run([path, "-quit"], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    found = re.search(r"Version:\s*(\S+)", done.stdout)
    return f"CBC {found.group(1)}" if found else "CBC (unknown version)"


@dataclass
class _Model:
    """The integer program over lines that can take at least the minimum allocation."""

    lp: pulp.LpProblem
    lines: list[ScoredLine]
    xs: list[pulp.LpVariable]


def _build(problem: Problem, scored: Sequence[ScoredLine]) -> _Model:
    rules = problem.rules
    m = rules.min_allocation
    # Lines that cannot take the minimum allocation never get a variable; they stay at 0.
    live = [s for s in scored if s.admissible and s.upper >= m]
    lp = pulp.LpProblem("allocation", pulp.LpMaximize)
    le, ge = pulp.LpConstraintLE, pulp.LpConstraintGE
    xs, ys = [], []
    # Variables are named by position in (lot id, bid id) order, so the model is the same for any input order.
    for i, s in enumerate(live):
        x = lp.add_variable(f"x{i:06d}", 0, s.upper, pulp.LpInteger)
        y = lp.add_variable(f"y{i:06d}", 0, 1, pulp.LpInteger)
        xs.append(x)
        ys.append(y)
        lp.addConstraint(
            pulp.LpConstraint(pulp.LpAffineExpression([(x, 1), (y, -s.upper)]), le, rhs=0), f"cap{i:06d}"
        )
        lp.addConstraint(
            pulp.LpConstraint(pulp.LpAffineExpression([(x, 1), (y, -m)]), ge, rhs=0), f"min{i:06d}"
        )

    by_lot: dict[str, list[int]] = defaultdict(list)
    by_supplier: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(live):
        by_lot[s.line.lot_id].append(i)
        by_supplier[s.line.supplier_id].append(i)
    demand = {lot.lot_id: lot.demand for lot in problem.lots}
    # Constraints that cannot bind are left out: smaller models, same optimum.
    for j, lot_id in enumerate(sorted(by_lot)):
        idx = by_lot[lot_id]
        # No more than the lot's demand, nor than its K largest lines can take together: the second
        # bound is implied by the integer model but the LP relaxation does not see it (fractional y).
        top = sum(sorted((live[i].upper for i in idx), reverse=True)[: rules.max_suppliers_per_lot])
        reach = min(demand[lot_id], top)
        if sum(live[i].upper for i in idx) > reach:
            expr = pulp.LpAffineExpression([(xs[i], 1) for i in idx])
            lp.addConstraint(pulp.LpConstraint(expr, le, rhs=reach), f"demand{j:05d}")
        if len(idx) > rules.max_suppliers_per_lot:
            expr = pulp.LpAffineExpression([(ys[i], 1) for i in idx])
            lp.addConstraint(
                pulp.LpConstraint(expr, le, rhs=rules.max_suppliers_per_lot), f"suppliers{j:05d}"
            )
    caps = {c.supplier_id: c.capacity for c in problem.supplier_capacities}
    for k, supplier_id in enumerate(sorted(by_supplier)):
        idx = by_supplier[supplier_id]
        if supplier_id in caps and sum(live[i].upper for i in idx) > caps[supplier_id]:
            expr = pulp.LpAffineExpression([(xs[i], 1) for i in idx])
            lp.addConstraint(pulp.LpConstraint(expr, le, rhs=caps[supplier_id]), f"supplier{k:06d}")
    prices = [_price(s) for s in live]
    if sum(p * s.upper for p, s in zip(prices, live, strict=True)) > problem.budget_cents:
        expr = pulp.LpAffineExpression(list(zip(xs, prices, strict=True)))
        lp.addConstraint(pulp.LpConstraint(expr, le, rhs=problem.budget_cents), "budget")
    return _Model(lp, live, xs)


def _price(s: ScoredLine) -> int:
    if s.line.unit_price_cents is None:
        raise EngineError("internal: line without a price in the model")
    return s.line.unit_price_cents


@dataclass
class _Run:
    status: Status
    message: str
    allocation: dict[Key, int] | None
    objective: Objective | None
    solver_time_s: float


class _Stages:
    """Solves one model under one time budget, objective by objective, timing the solver itself."""

    def __init__(self, model: _Model, *, solver: str, time_limit_s: float) -> None:
        self.model = model
        self.solver = solver
        self.time_limit_s = time_limit_s
        self.started = perf_counter()
        self.in_solver = 0.0

    def solve(
        self, name: str, coefficients: list[int], *, share: float = 1.0, warm: bool = False, mip: bool = True
    ) -> tuple[str, list[int], float]:
        """Outcome ('optimal', 'feasible', 'infeasible' or 'stopped'), rounded values and objective value."""
        lp, xs = self.model.lp, self.model.xs
        lp.setObjective(pulp.LpAffineExpression(list(zip(xs, coefficients, strict=True))))
        left = (self.time_limit_s - (perf_counter() - self.started)) * share
        if left <= 0:
            return "stopped", [], 0.0
        engine = _make_solver(self.solver, time_limit_s=left, warm_start=warm, mip=mip)
        tick = perf_counter()
        try:
            lp.solve(engine)
        except pulp.PulpSolverError as exc:
            raise EngineError(f"{self.solver} failed in stage {name!r}: {exc}") from exc
        finally:
            # CBC runs as a process: its time is the whole call (MPS file, process, solution file).
            run_s = getattr(engine, "run_s", None)
            self.in_solver += run_s if run_s is not None else perf_counter() - tick
        if lp.status == pulp.LpStatusInfeasible:
            return "infeasible", [], 0.0
        if lp.status != pulp.LpStatusOptimal:
            return "stopped", [], 0.0
        value = float(pulp.value(lp.objective) or 0.0)
        if lp.sol_status == pulp.LpSolutionOptimal:
            return "optimal", [_whole(x) for x in xs] if mip else [], value
        if lp.sol_status == pulp.LpSolutionIntegerFeasible:
            return "feasible", [_whole(x) for x in xs], value
        return "stopped", [], 0.0

    def stopped(self, name: str) -> _Run:
        """The run as not solved; a time-limited incumbent is never reported as optimal."""
        limit = f"{self.time_limit_s:g} s"
        message = f"not solved to proven optimality within the time limit of {limit} (stage: {name})"
        return _Run(Status.NOT_SOLVED, message, None, None, self.in_solver)


def _solve_model(model: _Model, *, solver: str, time_limit_s: float) -> _Run:
    """Maximise participants served, then Σ S·x, then move participants between equal scores by receipt."""
    run = _Stages(model, solver=solver, time_limit_s=time_limit_s)
    lp, xs, lines = model.lp, model.xs, model.lines
    ones = [1] * len(xs)
    scores = [s.total_score or 0 for s in lines]
    values = [0] * len(xs)
    target = 0
    if xs:
        # The LP relaxation bounds the participants any allocation can serve. The slack only ever rounds
        # the bound up, which costs a fallback below, never a wrong answer.
        outcome, _, bound = run.solve("bound on participants served", ones, mip=False)
        if outcome != "optimal":
            return run.stopped("bound on participants served")
        target = math.floor(bound + 1e-3)
    if target > 0:
        fix = pulp.LpConstraint(
            pulp.LpAffineExpression([(x, 1) for x in xs]), pulp.LpConstraintGE, rhs=target
        )
        lp.addConstraint(fix, "fix_served")
        # Usually the bound is reachable; then one solve settles served count and best score together.
        outcome, values, _ = run.solve("total score at the bound", scores, share=0.5)
        if outcome == "feasible":  # served count proven (it reaches the bound), score not yet
            outcome, values, _ = run.solve("total score", scores, warm=True)
        elif outcome != "optimal":
            fix.changeRHS(0)
            outcome, values, _ = run.solve("participants served", ones)
            if outcome != "optimal":
                return run.stopped("participants served")
            fix.changeRHS(sum(values))
            if sum(values):
                outcome, values, _ = run.solve("total score", scores, warm=True)
        if outcome != "optimal":
            return run.stopped("total score")
        served, best = sum(values), _dot(scores, values)
        if served < -fix.constant:
            raise EngineError(
                f"the solver's allocation serves {served}, fewer than the {-fix.constant:g} it fixed"
            )
        values = _break_ties(model, run, values)
        if not values:
            return run.stopped("tie-break")
        if (sum(values), _dot(scores, values)) != (served, best):
            raise EngineError("the tie-break stage changed the served count or the total score")
    allocation = {s.key: v for s, v in zip(lines, values, strict=True) if v > 0}
    objective = Objective(
        participants_served=sum(values),
        score_total=_dot(scores, values),
        tie_break_total=_dot([s.tie_weight for s in lines], values),
    )
    return _Run(Status.OPTIMAL, "optimal", allocation, objective, run.in_solver)


def _break_ties(model: _Model, run: _Stages, values: list[int]) -> list[int]:
    """Serve equal scores strictly by priority (earlier receipt, then bid id, then lot id); [] if not solved.

    Every line without an equal-score partner and each group's total stay fixed, so served count and score
    cannot change. The tied lines are then taken in priority order: each gets the most participants it can
    while every earlier one keeps what it got (a lexicographic maximum, never a weighted trade-off).
    """
    by_score: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(model.lines):
        if s.tie_weight:
            by_score[s.total_score or 0].append(i)
    groups = [idx for _, idx in sorted(by_score.items()) if len(idx) > 1]
    if not any(sum(values[i] for i in idx) for idx in groups):
        return values
    grouped = {i for idx in groups for i in idx}
    xs = model.xs
    for i, x in enumerate(xs):
        if i not in grouped:
            x.lowBound = x.upBound = values[i]
    for n, idx in enumerate(groups):
        expr = pulp.LpAffineExpression([(xs[i], 1) for i in idx])
        total = sum(values[i] for i in idx)
        model.lp.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintEQ, rhs=total), f"tie{n:05d}")
    # The highest tie weight is the earliest receipt (then bid id, then lot id): see scoring.score_lines.
    left = {n: len(idx) for n, idx in enumerate(groups)}
    group_of = {i: n for n, idx in enumerate(groups) for i in idx}
    for i in sorted(grouped, key=lambda i: -model.lines[i].tie_weight):
        n = group_of[i]
        left[n] -= 1
        # Nothing to gain: already at its bound, or the last free line of its group (the total decides it).
        if values[i] < model.lines[i].upper and left[n] > 0 and sum(values[j] for j in groups[n]) > 0:
            objective = [1 if j == i else 0 for j in range(len(xs))]
            outcome, moved, _ = run.solve("tie-break", objective, warm=True)
            if outcome != "optimal":
                return []
            values = moved
        xs[i].lowBound = xs[i].upBound = values[i]
    return values


def _dot(coefficients: list[int], values: list[int]) -> int:
    return sum(c * v for c, v in zip(coefficients, values, strict=True))


def _whole(x: pulp.LpVariable) -> int:
    value = x.varValue
    if value is None:
        raise EngineError(f"the solver returned no value for {x.name}")
    return round(value)


def solve(problem: Problem, *, solver: str = "HiGHS", time_limit_s: float = 30.0) -> EngineResult:
    """Score the lines, allocate participants to proven optimality, re-check and explain the result."""
    started = perf_counter()
    _check_solver(solver)
    if (
        isinstance(time_limit_s, bool)
        or not isinstance(time_limit_s, int | float)
        or not 0 < time_limit_s < math.inf
    ):
        raise EngineInputError(f"time limit must be a positive number of seconds, got {time_limit_s!r}")
    scored = score_lines(problem)
    blockers = infeasibilities(problem)
    if blockers:
        run = _Run(Status.INFEASIBLE, "; ".join(blockers), None, None, 0.0)
    else:
        run = _solve_model(_build(problem, scored), solver=solver, time_limit_s=time_limit_s)
    reasons, limits, unmet = {}, {}, {}
    spent = None
    if run.allocation is not None:
        check_allocation(problem, run.allocation)
        reasons = explain_unallocated(problem, scored, run.allocation)
        limits = explain_limits(problem, scored, run.allocation)
        unmet = explain_unmet(problem, scored, run.allocation)
        spent = sum(_price(s) * run.allocation.get(s.key, 0) for s in scored if s.admissible)
    return EngineResult(
        status=run.status,
        message=run.message,
        solver=solver,
        solver_version=solver_version(solver),
        input_sha256=problem.sha256(),
        objective=run.objective,
        budget_used_cents=spent,
        lines=line_results(scored, run.allocation, reasons, limits),
        lots=lot_results(problem, scored, run.allocation, unmet),
        wall_time_s=perf_counter() - started,
        solver_time_s=run.solver_time_s,
    )
