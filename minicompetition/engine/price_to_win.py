"""Price to win: the highest unit price (cents) at which a losing line would have won participants.

A line's price enters only its own price score, its lot's price scores once it is the lowest, and the budget
row. So the search (engine.witness_search) compares two questions on one model built per competition
(engine.probe): the best allocation that keeps the line in (W) and the best that leaves it out (V), at a
price. Leaving it out never beats the run's own value; allocations met on the way (witnesses), climbed by
exchanges inside a lot (engine.exchange), predict where W and V cross, and a solve or two proves it.

Exact to the cent provided a lower price never makes a line lose (as for bisection with full re-solves, which
tests keep as the reference).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from time import perf_counter
from typing import Any

from minicompetition.engine.scoring import (
    EngineError,
    EngineInputError,
    Key,
    Problem,
    Status,
)
from minicompetition.engine.solve import solve
from minicompetition.engine.witness_search import Search


def prices_to_win(
    problem: Problem,
    *,
    keys: Iterable[Key] | None = None,
    solver: str = "HiGHS",
    time_limit_s: float = 30.0,
    workers: int = 1,
    budget_s: float | None = None,
) -> dict[Key, int | None]:
    """Price to win of every losing admissible line (or of the given ones), by (lot id, bid id).

    With `budget_s`, no line is started after that many seconds: the answer then holds the lines done.
    """
    started = perf_counter()
    base = solve(problem, solver=solver, time_limit_s=time_limit_s)
    if base.status != Status.OPTIMAL:
        raise EngineError(f"price to win needs an optimal run; this one is {base.status}: {base.message}")
    losing = [(x.lot_id, x.bid_id) for x in base.lines if x.admissible and not x.allocated]
    wanted = sorted(losing if keys is None else set(keys) & set(losing))
    until = None if budget_s is None else started + budget_s
    if workers <= 1 or len(wanted) < 2:
        search = Search(problem, base, solver=solver, time_limit_s=time_limit_s)
        return dict(_each(search, wanted, until))
    shares = [wanted[w::workers] for w in range(workers)]
    # Spawned, not forked: the caller may be a threaded server, and a fork copies its locks mid-use.
    context = multiprocessing.get_context("spawn")
    left = None if until is None else until - perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        parts = pool.map(_share, [(problem.to_dict(), share, solver, time_limit_s, left) for share in shares])
        out: dict[Key, int | None] = {}
        for part in parts:
            out.update({(lot, bid): price for lot, bid, price in part})
    return dict(sorted(out.items()))


def _each(search: Search, keys: list[Key], until: float | None) -> Iterator[tuple[Key, int | None]]:
    for key in keys:
        if until is not None and perf_counter() >= until:
            return
        yield key, search.price(key)


def _share(
    args: tuple[Mapping[str, Any], list[Key], str, float, float | None],
) -> list[tuple[str, str, int | None]]:
    data, keys, solver, time_limit_s, budget_s = args
    until = None if budget_s is None else perf_counter() + budget_s
    problem = Problem.from_dict(data)
    search = Search(
        problem,
        solve(problem, solver=solver, time_limit_s=time_limit_s),
        solver=solver,
        time_limit_s=time_limit_s,
    )
    return [(lot, bid, price) for (lot, bid), price in _each(search, keys, until)]


def price_to_win(
    problem: Problem, *, bid_id: str, lot_id: str, solver: str = "HiGHS", time_limit_s: float = 30.0
) -> int | None:
    """Highest unit price (cents) at which a losing line would have won participants; None if 1 cent loses."""
    key = (lot_id, bid_id)
    base = solve(problem, solver=solver, time_limit_s=time_limit_s)
    if base.status != Status.OPTIMAL:
        raise EngineError(f"price to win needs an optimal run; this one is {base.status}: {base.message}")
    try:
        row = base.line(lot_id=lot_id, bid_id=bid_id)
    except KeyError:
        raise EngineInputError(f"no line for bid {bid_id} in lot {lot_id}") from None
    if not row.admissible:
        raise EngineInputError(f"bid {bid_id} in lot {lot_id} is inadmissible: {row.reason}")
    if row.allocated:
        raise EngineInputError(f"bid {bid_id} in lot {lot_id} already wins {row.allocated} participants")
    return Search(problem, base, solver=solver, time_limit_s=time_limit_s).price(key)
