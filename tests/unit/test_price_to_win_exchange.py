"""One exchange inside a lot, the cheap guess of price to win's search, on cases worked by hand."""

import numpy as np

from minicompetition.engine.exchange import Shape, exchange

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
