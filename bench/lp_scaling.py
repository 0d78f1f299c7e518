"""How the allocation engine scales: 50×5, 200×30 and 1 000×100 (bids × lots), HiGHS and CBC.

Run: .venv/bin/python bench/lp_scaling.py [--sizes 50x5,200x30] [--solvers HiGHS,CBC] [--budget-pct 80]
Competitions come from a fixed seed: one bid per supplier with lines on up to max(3, lots / 10) lots,
prices 70–140 % of the lot's base price, capacities 15–60 % of the lot's demand, 30 % of suppliers with a
supplier-wide capacity, weights 50/30/20, at most 3 suppliers and 50 % of a lot each, minimum 3.
Prints one row per size and solver (total_s: the whole solve(); solver_s: inside the solver; overhead =
(total − solver) / solver; price_to_win_s: one price to win for the best-ranked outscored line;
price_to_win_all_s: the prices to win of every losing admissible line, as the award computes them, with
--ptw-workers processes, for the sizes in --ptw-all-sizes and the first solver (--ptw-lines N: only N evenly
spaced losing lines, for quick experiments); price_to_win_lines: how many; price_to_win_all_cpu_s: CPU seconds of this process and its workers; price_to_win_sample_ratio: the
one-line bisection with full re-solves, timed on --ptw-sample evenly spaced lines, per line, over the all-lines
time per line, and price_to_win_sample_equal: whether both gave the same price to the cent on every sampled
line), whether HiGHS and CBC allocated identically, and as its last line one JSON object with every row.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from minicompetition.engine.price_to_win import price_to_win, prices_to_win
from minicompetition.engine.scoring import (
    AllocationRules,
    BidLine,
    EngineResult,
    Lot,
    Problem,
    ReasonCode,
    Status,
    SupplierCapacity,
    Weights,
)
from minicompetition.engine.solve import solve
from tests.unit.reference_price_to_win import reference_price_to_win

SEED = 20250301
SIZES = ((50, 5), (200, 30), (1000, 100))
OPENED = datetime(2025, 3, 1, 12, tzinfo=UTC)
BUDGET_PCT = 85


def make_problem(*, bids: int, lots: int, seed: int = SEED, budget_pct: int = BUDGET_PCT) -> Problem:
    """A reproducible competition: every bid (one per supplier) has lines on several lots."""
    rnd = random.Random(seed * 1_000_003 + bids * 1_009 + lots)
    lot_rows = []
    base = {}
    for j in range(lots):
        lot_id = f"L{j:03d}"
        base[lot_id] = rnd.randint(80_000, 150_000)
        cap = base[lot_id] * 13 // 10 if rnd.random() < 0.5 else None
        lot_rows.append(Lot(lot_id=lot_id, demand=rnd.randint(20, 80), max_unit_price_cents=cap))
    per_bid = min(lots, max(3, lots // 10))  # "several" lots per bid: up to 3, or a tenth of the lots
    lines = []
    caps = []
    for b in range(bids):
        bid_id, supplier_id = f"B{b:04d}", f"S{b:04d}"
        received = OPENED - timedelta(seconds=rnd.randint(0, 14 * 86_400))
        eligible = rnd.random() > 0.03
        chosen = rnd.sample(lot_rows, k=rnd.randint(1, per_bid))
        total_capacity = 0
        for lot in chosen:
            complete = rnd.random() > 0.02
            capacity = max(1, lot.demand * rnd.randint(15, 60) // 100)  # suppliers size offers to the lot
            total_capacity += capacity
            lines.append(
                BidLine(
                    bid_id=bid_id,
                    supplier_id=supplier_id,
                    lot_id=lot.lot_id,
                    unit_price_cents=base[lot.lot_id] * rnd.randint(70, 140) // 100,
                    capacity=capacity,
                    flow_through_bp=rnd.randint(3_000, 9_000),
                    quality=rnd.randint(40, 100) if complete else None,
                    received_at=received,
                    eligible=eligible,
                    ineligibility_reason=None if eligible else "suspended on 2025-02-20",
                )
            )
        if rnd.random() < 0.3:
            caps.append(SupplierCapacity(supplier_id=supplier_id, capacity=max(1, total_capacity * 6 // 10)))
    # Bids average 105 % of their lot's base price. At 85 % of all demand at base price the budget binds
    # at 200×30 (budget_used_pct 100); --budget-pct 80 makes it cut participants too.
    budget = sum(lot.demand * base[lot.lot_id] for lot in lot_rows) * budget_pct // 100
    return Problem(
        lots=tuple(lot_rows),
        lines=tuple(lines),
        budget_cents=budget,
        weights=Weights(price_bp=5_000, quality_bp=3_000, outcome_bp=2_000),
        rules=AllocationRules(max_suppliers_per_lot=3, max_share_bp=5_000, min_allocation=3),
        supplier_capacities=tuple(caps),
    )


def losing_line(result: EngineResult) -> tuple[str, str] | None:
    """The best-ranked outscored line (the supplier who asks what price would have won), else any loser."""
    losers = [x for x in result.lines if x.admissible and x.allocated == 0 and x.rank is not None]
    outscored = [x for x in losers if x.reason_code == ReasonCode.OUTSCORED]
    if not losers:
        return None
    best = min(outscored or losers, key=lambda x: (x.rank or 0, x.lot_id, x.bid_id))
    return best.lot_id, best.bid_id


def all_prices(
    problem: Problem,
    *,
    solver: str,
    time_limit_s: float,
    workers: int,
    keys: list[tuple[str, str]] | None = None,
) -> tuple[float, dict[tuple[str, str], int | None], float]:
    """Seconds (wall, and CPU of this process and its workers) to compute every losing line's price to win
    (or the given lines')."""
    tick, cpu = perf_counter(), _cpu()
    found = prices_to_win(problem, keys=keys, solver=solver, time_limit_s=time_limit_s, workers=workers)
    return perf_counter() - tick, found, _cpu() - cpu


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def spaced(result: EngineResult, lines: int | None) -> list[tuple[str, str]] | None:
    """`lines` evenly spaced losing admissible lines (None: all of them)."""
    if lines is None:
        return None
    losing = sorted((x.lot_id, x.bid_id) for x in result.lines if x.admissible and not x.allocated)
    return losing[:: max(1, len(losing) // max(lines, 1))][:lines]


def sample_ratio(
    problem: Problem,
    found: dict[tuple[str, str], int | None],
    *,
    all_s: float,
    sample: int,
    solver: str,
    time_limit_s: float,
) -> tuple[float | None, bool | None]:
    """The one-line bisection (full re-solves) on evenly spaced lines: its time per line over the all-lines
    method's, and whether both gave the same price to the cent on every sampled line."""
    keys = sorted(found)
    chosen = keys[:: max(1, len(keys) // sample)][:sample] if sample > 0 else []
    if not chosen:
        return None, None
    tick = perf_counter()
    prices = {
        key: reference_price_to_win(
            problem, lot_id=key[0], bid_id=key[1], solver=solver, time_limit_s=time_limit_s
        )
        for key in chosen
    }
    per_line = (perf_counter() - tick) / len(chosen)
    return per_line / (all_s / len(keys)), all(prices[key] == found[key] for key in chosen)


def run(
    sizes: list[tuple[int, int]],
    solvers: list[str],
    time_limits: dict[str, float],
    ptw: bool,
    budget_pct: int,
    ptw_all: Collection[tuple[int, int]] = (),
    workers: int = 2,
    sample: int = 3,
    only: int | None = None,
) -> None:
    """Solve every size with every solver and print the table and the JSON line."""
    rows = []
    for name in solvers:  # first calls load libraries and start the solver; keep them out of the timings
        solve(make_problem(bids=10, lots=2), solver=name)
    header = (
        f"{'bids':>5} {'lots':>4} {'lines':>6} {'solver':>6} {'status':>10} {'total_s':>8} {'solver_s':>8} "
    )
    print(
        header
        + f"{'overhead':>8} {'ptw_s':>8} {'served':>7} {'ptw_all_s':>9} {'lines':>6} {'cpu_s':>8} {'x1line':>6}"
    )
    for bids, lots in sizes:
        problem = make_problem(bids=bids, lots=lots, budget_pct=budget_pct)
        allocations = {}
        for name in solvers:
            # Small sizes take the best of three runs: one run is at the mercy of the other processes.
            runs = []
            for _ in range(3 if len(problem.lines) < 1_000 else 1):
                tick = perf_counter()
                result = solve(problem, solver=name, time_limit_s=time_limits[name])
                runs.append((perf_counter() - tick, result))
            total, result = min(runs, key=lambda run: run[0])
            ratio = (total - result.solver_time_s) / result.solver_time_s if result.solver_time_s else None
            ptw_s = None
            target = losing_line(result) if result.status == Status.OPTIMAL and ptw else None
            if target is not None:
                tick = perf_counter()
                price_to_win(
                    problem, lot_id=target[0], bid_id=target[1], solver=name, time_limit_s=time_limits[name]
                )
                ptw_s = perf_counter() - tick
            all_s = lines = all_cpu = ratio_1 = equal = None
            # Every price to win once per size, with the first solver (the probes themselves are HiGHS's).
            if (bids, lots) in ptw_all and name == solvers[0] and result.status == Status.OPTIMAL:
                all_s, found, all_cpu = all_prices(
                    problem,
                    solver=name,
                    time_limit_s=time_limits[name],
                    workers=workers,
                    keys=spaced(result, only),
                )
                lines = len(found)
                ratio_1, equal = sample_ratio(
                    problem, found, all_s=all_s, sample=sample, solver=name, time_limit_s=time_limits[name]
                )
            allocations[name] = result.allocation() if result.status == Status.OPTIMAL else None
            served = result.objective.participants_served if result.objective else None
            row = {
                "bids": bids,
                "lots": lots,
                "lines": len(problem.lines),
                "total_s": round(total, 4),
                "solver_s": round(result.solver_time_s, 4),
                "overhead_ratio": None if ratio is None else round(ratio, 4),
                "price_to_win_s": None if ptw_s is None else round(ptw_s, 4),
                "price_to_win_all_s": None if all_s is None else round(all_s, 3),
                "price_to_win_lines": lines,
                "price_to_win_all_cpu_s": None if all_cpu is None else round(all_cpu, 3),
                "price_to_win_sample_ratio": None if ratio_1 is None else round(ratio_1, 2),
                "price_to_win_sample_equal": equal,
                "status": result.status.value,
                "solver": name,
                "solver_version": result.solver_version,
                "participants_served": served,
                "budget_used_pct": None
                if result.budget_used_cents is None
                else round(100 * result.budget_used_cents / problem.budget_cents, 3),
            }
            rows.append(row)
            print(
                f"{bids:>5} {lots:>4} {len(problem.lines):>6} {name:>6} {result.status.value:>10} "
                f"{total:>8.3f} {result.solver_time_s:>8.3f} {_fmt(ratio):>8} {_fmt(ptw_s):>8} {served!s:>7} "
                f"{_fmt(all_s):>9} {lines if lines is not None else '-':>6} {_fmt(all_cpu):>8} {_fmt(ratio_1):>6}",
                flush=True,
            )
        known = [a for a in allocations.values() if a is not None]
        if len(known) == len(solvers) > 1:
            same = all(a == known[0] for a in known)
            print(f"{bids}x{lots}: allocations of {' and '.join(solvers)} identical: {same}")
            for row in rows[-len(solvers) :]:
                row["identical_allocations"] = same
        elif len(solvers) > 1:
            print(f"{bids}x{lots}: allocations not compared (a solver did not reach proven optimality)")
    print(json.dumps({"sizes": rows}))


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(f"{b}x{lo}" for b, lo in SIZES))
    parser.add_argument("--solvers", default="HiGHS,CBC")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per HiGHS solve")
    parser.add_argument("--cbc-time-limit", type=float, default=120.0, help="seconds per CBC solve")
    parser.add_argument("--no-price-to-win", action="store_true")
    parser.add_argument(
        "--ptw-all-sizes", default="50x5,200x30", help="sizes whose every price to win is timed"
    )
    parser.add_argument("--ptw-workers", type=int, default=2, help="processes computing the prices to win")
    parser.add_argument(
        "--ptw-sample", type=int, default=3, help="lines timed with the one-line bisection (0: none)"
    )
    parser.add_argument(
        "--ptw-lines",
        type=int,
        default=None,
        help="time only this many evenly spaced losing lines (default: all)",
    )
    parser.add_argument(
        "--budget-pct", type=int, default=BUDGET_PCT, help="budget, % of all demand at base price"
    )
    args = parser.parse_args()
    sizes = [(int(b), int(lo)) for b, lo in (s.split("x") for s in args.sizes.split(","))]
    limits = {"HiGHS": args.time_limit, "CBC": args.cbc_time_limit}
    ptw_all = {(int(b), int(lo)) for b, lo in (s.split("x") for s in args.ptw_all_sizes.split(",") if s)}
    run(
        sizes,
        args.solvers.split(","),
        limits,
        not args.no_price_to_win,
        args.budget_pct,
        ptw_all=set() if args.no_price_to_win else ptw_all,
        workers=args.ptw_workers,
        sample=args.ptw_sample,
        only=args.ptw_lines,
    )


if __name__ == "__main__":
    main()
