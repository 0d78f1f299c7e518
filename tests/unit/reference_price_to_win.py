"""Price to win as the product computed it before the all-lines search: bisection with full re-solves.

Kept as the reference the fast search (minicompetition.engine.price_to_win) is compared with, cent by cent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from minicompetition.engine.scoring import EngineError, EngineInputError, Problem, Status, break_even_price
from minicompetition.engine.solve import solve

_GALLOP_STEPS = 4  # doubling probes around the first guess before plain bisection


def reference_price_to_win(
    problem: Problem, *, bid_id: str, lot_id: str, solver: str = "HiGHS", time_limit_s: float = 30.0
) -> int | None:
    """Highest unit price (cents) at which a losing line would have won participants; None if not at 1 cent.

    Exact to the cent, assuming a lower price never makes a line lose. The search probes the price at
    which the line's score would reach its lot's weakest winner, takes up to four doubling steps from
    there, and bisects whatever interval is left of [1, price − 1]: a full re-solve per probe, two when
    the guess is right and about log2(price) + 6 at worst. `time_limit_s` applies to each re-solve.
    """
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
    current = next(ln.unit_price_cents for ln in problem.lines if ln.key == key)
    if current is None:  # admissible lines are complete; this keeps the type checker honest
        raise EngineError("internal: admissible line without a price")

    def wins(price: int) -> bool:
        lines = tuple(replace(ln, unit_price_cents=price) if ln.key == key else ln for ln in problem.lines)
        result = solve(replace(problem, lines=lines), solver=solver, time_limit_s=time_limit_s)
        if result.status != Status.OPTIMAL:
            raise EngineError(
                f"price to win: the re-solve at {price} cents is {result.status}: {result.message}"
            )
        return result.allocation().get(key, 0) > 0

    if current <= 1:
        return None
    won, lost = _bracket(
        wins, guess=break_even_price(problem, key=key, allocation=base.allocation()), lost=current
    )
    if won is None:
        return None
    while lost - won > 1:  # invariant: `won` wins, `lost` loses
        mid = (won + lost) // 2
        if wins(mid):
            won = mid
        else:
            lost = mid
    return won


def _bracket(wins: Callable[[int], bool], *, guess: int | None, lost: int) -> tuple[int | None, int]:
    """A winning and a losing price around the answer; (None, …) when even 1 cent loses."""
    step = 1
    if guess is not None and 1 <= guess < lost:
        # A few doubling steps from the guess; a guess far off falls back to bisecting what is left.
        if wins(guess):
            won = guess
            for _ in range(_GALLOP_STEPS):
                if won + step >= lost:
                    break
                if not wins(won + step):
                    return won, won + step
                won, step = won + step, step * 2
            return won, lost
        lost = guess
        for _ in range(_GALLOP_STEPS):
            if lost - step < 1:
                break
            if wins(lost - step):
                return lost - step, lost
            lost, step = lost - step, step * 2
    return (1, lost) if lost > 1 and wins(1) else (None, lost)
