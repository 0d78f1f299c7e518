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
    EngineResult,
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
    # Spawned, not forked: the caller may be a threaded server, and a fork copies its locks mid-use. Lines
    # are handed out one at a time, so that a worker whose lines were quick takes the next (costs vary 100×).
    context = multiprocessing.get_context("spawn")
    left = None if until is None else until - perf_counter()
    start = (problem.to_dict(), base, solver, time_limit_s, left)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start, initargs=start
    ) as pool:
        out = {key: price for key, price, done in pool.map(_one, wanted) if done}
    return dict(sorted(out.items()))


def _each(search: Search, keys: list[Key], until: float | None) -> Iterator[tuple[Key, int | None]]:
    for key in keys:
        if until is not None and perf_counter() >= until:
            return
        yield key, search.price(key)


_worker: tuple[Search, float | None] | None = None  # a worker process's search and its deadline


def _start(
    data: Mapping[str, Any], base: EngineResult, solver: str, time_limit_s: float, budget_s: float | None
) -> None:
    """A worker's start: the search shared by all the lines it will be given (from the run's own result)."""
    global _worker  # one per worker process, set once
    until = None if budget_s is None else perf_counter() + budget_s
    problem = Problem.from_dict(data)
    _worker = (Search(problem, base, solver=solver, time_limit_s=time_limit_s), until)


def _one(key: Key) -> tuple[Key, int | None, bool]:
    """One line's price to win in a worker; not done (False) once the worker's deadline has passed."""
    if _worker is None:
        raise EngineError("internal: price to win worker not started")
    search, until = _worker
    if until is not None and perf_counter() >= until:
        return key, None, False
    return key, search.price(key), True


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
