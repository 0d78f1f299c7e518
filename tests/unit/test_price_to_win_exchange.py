"""One exchange inside a lot, the cheap guess of price to win's search, on cases worked by hand."""

import numpy as np

from minicompetition.engine.exchange import Shape, _moves, exchange, improve

# One lot of four lines: 0 holds 5 participants, 2 is the line asked about with 3; 1 and 3 hold none.
PRICES = np.array([100, 80, 120, 90])
SCORES = np.array([50, 45, 60, 49])
X = np.array([5, 0, 3, 0])


def shape(*, group_cap: int | None = None, max_suppliers: int = 2) -> Shape:
    return Shape(
        lot_of=np.zeros(4, dtype=np.int64),
        upper=np.full(4, 10),
        min_allocation=3,
        max_suppliers=max_suppliers,
        group_of=np.array([-1, -1, -1, 0 if group_cap is not None else -1]),
        group_cap=np.array([group_cap] if group_cap is not None else [], dtype=np.int64),
    )


def test_the_exchange_with_the_most_room_for_the_price_wins() -> None:
    # X costs 5·100 + 3·120 = 860 > 850 and scores 5·50 + 3·60 = 430. Line 0 must hand all 5 over (keeping
    # 1 or 2 is under the minimum of 3; 3 of its 5 to an empty line leaves it 2). To 3: 810 and 425, room
    # min((425 − 400)/3, (850 − 810)/3) = 8.3; to 1: 760 and 405, room min(5/3, 90/3) = 1.7.
    found = exchange(shape(), X, line=2, prices=PRICES, scores=SCORES, budget=850, beat=400, rate=1.0)
    assert found is not None
    assert found.tolist() == [0, 0, 3, 5]


def test_a_supplier_wide_capacity_rules_out_the_best_exchange() -> None:
    found = exchange(
        shape(group_cap=4), X, line=2, prices=PRICES, scores=SCORES, budget=850, beat=400, rate=1.0
    )
    assert found is not None
    assert found.tolist() == [0, 5, 3, 0]


def test_none_when_no_exchange_keeps_the_score_above_the_mark() -> None:
    # To 3 scores 425, to 1 scores 405; moving into the line costs more than 850.
    assert exchange(shape(), X, line=2, prices=PRICES, scores=SCORES, budget=850, beat=425, rate=1.0) is None


def test_the_line_itself_never_drops_under_the_minimum() -> None:
    # Cheapest is to move the line's own participants away, which would leave it under 3 or out.
    cheap = np.array([100, 10, 120, 10])
    found = exchange(shape(), X, line=2, prices=cheap, scores=SCORES, budget=850, beat=0, rate=1.0)
    assert found is not None
    assert found[2] == 3


# Two exchanges across lots (engine.exchange.improve): lots 0 (lines 0, 1), 1 (lines 2, 3) and 2 (line 4, the
# line asked about, holding 3). One supplier per lot, so an exchange moves a line's whole allocation.
LOTS = np.array([0, 0, 1, 1, 2])
PAIR_PRICES = np.array([100, 120, 100, 80, 100])
PAIR_SCORES = np.array([50, 60, 50, 45, 40])
PAIR_X = np.array([5, 0, 5, 0, 3])


def pair_shape(*, group: list[int] | None = None, cap: int = 0) -> Shape:
    return Shape(
        lot_of=LOTS,
        upper=np.full(5, 10),
        min_allocation=3,
        max_suppliers=1,
        group_of=np.array([0 if i in (group or []) else -1 for i in range(5)]),
        group_cap=np.array([cap] if group else [], dtype=np.int64),
    )


def test_a_gain_in_one_lot_is_paid_for_by_a_saving_in_another() -> None:
    # PAIR_X costs 1 300 = the budget and scores 620. 0 → 1 gains 50 but costs 100 more; 2 → 3 saves 100 and
    # loses 25: together 645 within the budget. Neither alone improves, and nothing improves after.
    found = improve(pair_shape(), PAIR_X, line=4, prices=PAIR_PRICES, scores=PAIR_SCORES, budget=1_300)
    assert found is not None
    assert found.tolist() == [0, 5, 0, 5, 3]


def test_over_the_budget_the_cheapest_way_back_is_taken() -> None:
    # At 1 250 only 2 → 3 (saving 100 for 25 points) fits; from there 0 → 1 would cost 100 with 50 left.
    found = improve(pair_shape(), PAIR_X, line=4, prices=PAIR_PRICES, scores=PAIR_SCORES, budget=1_250)
    assert found is not None
    assert found.tolist() == [5, 0, 0, 5, 3]
    assert improve(pair_shape(), PAIR_X, line=4, prices=PAIR_PRICES, scores=PAIR_SCORES, budget=1_000) is None


def test_two_exchanges_together_respect_a_supplier_wide_capacity() -> None:
    # Lines 1 and 3 share a supplier with room for 5: each exchange fits alone; both would give it 10.
    found = improve(
        pair_shape(group=[1, 3], cap=5), PAIR_X, line=4, prices=PAIR_PRICES, scores=PAIR_SCORES, budget=1_300
    )
    assert found is not None
    assert found.tolist() == [5, 0, 5, 0, 3]


def test_with_the_line_left_out_no_exchange_moves_participants_to_it() -> None:
    # Lot 2 gets a second line (5) holding 3; the line (4) would score more and cost less, but stays out.
    shape = Shape(
        lot_of=np.array([0, 0, 1, 1, 2, 2]),
        upper=np.full(6, 10),
        min_allocation=3,
        max_suppliers=1,
        group_of=np.full(6, -1),
        group_cap=np.zeros(0, dtype=np.int64),
    )
    x = np.array([5, 0, 5, 0, 0, 3])
    prices, scores = np.array([*PAIR_PRICES, 200]), np.array([*PAIR_SCORES, 10])
    kept_out = improve(shape, x, line=4, prices=prices, scores=scores, budget=1_600, keep=False)
    assert kept_out is not None
    assert kept_out[4] == 0
    assert kept_out.tolist() == [0, 5, 0, 5, 0, 3]


def _ranges(
    shape: Shape, x: np.ndarray, *, j: int, k: int, line: int, chosen: int, used: np.ndarray
) -> list[tuple[int, int]]:
    """The amounts that may move from j to k, pair by pair (the exchange's rules, as first written)."""
    m, xj, xk = shape.min_allocation, int(x[j]), int(x[k])
    high = min(xj, int(shape.upper[k]) - xk)
    gk, gj = int(shape.group_of[k]), int(shape.group_of[j])
    if gk >= 0 and gk != gj:
        high = min(high, int(shape.group_cap[gk]) - int(used[gk]))
    low = 1 if xk > 0 else m
    out = []
    if xk > 0 or chosen < shape.max_suppliers:  # j stays: k may be a new supplier only below the limit
        out.append((low, min(high, xj - m)))
    if j != line and low <= xj <= high:
        out.append((xj, xj))
    return out


def test_the_moves_are_the_exchanges_one_at_a_time_allows() -> None:
    # The vectorised list of single exchanges equals the one built pair by pair.
    rnd = np.random.default_rng(7)
    for _ in range(200):
        n = 9
        lot_of = rnd.integers(0, 3, n)
        group_of = rnd.integers(-1, 2, n)
        shape = Shape(
            lot_of=lot_of,
            upper=rnd.integers(3, 9, n),
            min_allocation=int(rnd.integers(1, 4)),
            max_suppliers=int(rnd.integers(1, 4)),
            group_of=group_of,
            group_cap=rnd.integers(5, 20, 2),
        )
        x = np.where(
            rnd.random(n) < 0.5, np.minimum(shape.upper, rnd.integers(shape.min_allocation, 9, n)), 0
        )
        line = int(rnd.integers(0, n))
        capped = group_of >= 0
        used = np.bincount(group_of[capped], weights=x[capped], minlength=2).astype(np.int64)
        expected = set()
        for j in np.flatnonzero(x > 0):
            idx = np.flatnonzero(lot_of == lot_of[j])
            chosen = int(np.count_nonzero(x[idx]))
            for k in idx:
                if k != j:
                    for lo, hi in _ranges(shape, x, j=int(j), k=int(k), line=line, chosen=chosen, used=used):
                        expected |= {(int(j), int(k), t) for t in range(lo, hi + 1)}
        assert {(int(j), int(k), int(t)) for _, j, k, t in _moves(shape, x, line=line)} == expected
