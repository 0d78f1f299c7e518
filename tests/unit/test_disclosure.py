"""Public flow-through that cannot be undone: golden tables worked by hand, and a property checked by a
plain linear-algebra reference — no hidden figure is determined by what is shown."""

from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.flowthrough import disclosure
from outcomes.flowthrough.disclosure import TOTAL, Counts, History, Position

T = 5


def _c(denominator: int, qualified: int = 0, neutral: int = 0) -> Counts:
    return Counts(
        starts=denominator + neutral, matured=denominator + neutral, neutral=neutral, qualified=qualified
    )


def _table(cells: dict[Position, int], *, two: bool) -> dict[Position, Counts]:
    table = {p: _c(v) for p, v in cells.items()}
    if two:
        rows = {a for a, _ in cells}
        cols = {b for _, b in cells}
        for a in rows:
            table[(a, None)] = _c(sum(v for (x, _), v in cells.items() if x == a))
        for b in cols:
            table[(None, b)] = _c(sum(v for (_, y), v in cells.items() if y == b))
    table[TOTAL] = _c(sum(cells.values()))
    return table


def _hidden(shown: dict[Position, disclosure.Shown]) -> set[Position]:
    return {p for p, s in shown.items() if not s.outcome_shown}


def test_one_dimension_a_small_cell_hides_the_total_too() -> None:
    """Suppliers A 6, B 2: B is small, and total − A would give it back, so the total goes."""
    table = _table({("A", None): 6, ("B", None): 2}, two=False)
    shown = disclosure.suppress(table, History(), threshold=T, two_dimensional=False)
    assert _hidden(shown) == {("B", None), TOTAL}
    assert shown[("A", None)].outcome_shown


def test_two_dimensions_a_small_cell_hides_its_row_column_and_grand_totals() -> None:
    """A 2×2 table with one small cell: the cell, its row and column totals and the grand total form a
    cycle; every other cell stays."""
    table = _table({("A", "x"): 7, ("A", "y"): 3, ("B", "x"): 9, ("B", "y"): 8}, two=True)
    shown = disclosure.suppress(table, History(), threshold=T, two_dimensional=True)
    assert _hidden(shown) == {("A", "y"), ("A", None), (None, "y"), TOTAL}
    assert disclosure.determined(_hidden(shown), two_dimensional=True) == []


def test_a_small_neutral_count_hides_the_counts_layer_but_not_the_rate() -> None:
    table = {("A", None): _c(8, qualified=6, neutral=2), ("B", None): _c(9, 7), TOTAL: _c(17, 13, 2)}
    shown = disclosure.suppress(table, History(), threshold=T, two_dimensional=False)
    assert [shown[p].outcome_shown for p in (("A", None), ("B", None), TOTAL)] == [True, True, True]
    # A's neutral exits (2) hide its counts, and the total's (2, the same exits) hide the total's.
    assert [shown[p].counts_shown for p in (("A", None), ("B", None), TOTAL)] == [False, True, False]


def test_differencing_two_cut_offs_gives_back_no_start() -> None:
    """October: 7 matured starts (shown). November: 8 — one more. Showing November would give that one
    start's outcome by subtraction, so it waits until the change is itself at least 5."""
    months = {
        date(2026, 10, 31): {("A", None): _c(7, 5), ("B", None): _c(10, 8), TOTAL: _c(17, 13)},
        date(2026, 11, 30): {("A", None): _c(8, 6), ("B", None): _c(10, 8), TOTAL: _c(18, 14)},
        date(2026, 12, 31): {("A", None): _c(12, 9), ("B", None): _c(10, 8), TOTAL: _c(22, 17)},
    }
    history = History()
    seen = [
        disclosure.suppress(months[m], history, threshold=T, two_dimensional=False) for m in sorted(months)
    ]
    assert _hidden(seen[0]) == set()
    # November: A changed by 1 and the total by 1: both wait; B (unchanged) stays.
    assert _hidden(seen[1]) == {("A", None), TOTAL}
    # December: A is 5 more than when last shown (7), the total 5 more than 17: shown again.
    assert _hidden(seen[2]) == set()
    assert disclosure.suppress_over_time(months, threshold=T, two_dimensional=False) == seen[2]


def test_public_cut_offs_are_ends_of_closed_months() -> None:
    assert disclosure.last_closed_month_end(date(2026, 12, 4)) == date(2026, 11, 30)
    assert disclosure.last_closed_month_end(date(2027, 1, 1)) == date(2026, 12, 31)
    assert (disclosure.is_month_end(date(2028, 2, 29)), disclosure.is_month_end(date(2027, 2, 28))) == (
        True,
        True,
    )
    assert disclosure.is_month_end(date(2026, 11, 29)) is False
    assert disclosure.month_ends(date(2026, 10, 15), date(2026, 12, 31)) == [
        date(2026, 10, 31),
        date(2026, 11, 30),
        date(2026, 12, 31),
    ]


def _determined_by_algebra(values: dict[Position, int], hidden: set[Position], *, two: bool) -> set[Position]:
    """The plain reference: hidden entries whose value the shown ones and the additive lines fix
    (unit vector in the row space of the constraints on the hidden unknowns)."""
    unknowns = sorted(hidden, key=str)
    index = {p: i for i, p in enumerate(unknowns)}
    rows = []
    for line in disclosure.lines_of(values, two_dimensional=two):
        total, parts = line[0], line[1:]
        row = np.zeros(len(unknowns))
        for p, sign in [(total, -1.0), *[(q, 1.0) for q in parts]]:
            if p in index:
                row[index[p]] += sign
        rows.append(row)
    matrix = np.array(rows) if rows else np.zeros((0, len(unknowns)))
    rank = np.linalg.matrix_rank(matrix) if len(unknowns) else 0
    fixed = set()
    for p, i in index.items():
        unit = np.zeros((1, len(unknowns)))
        unit[0, i] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            fixed.add(p)
    return fixed


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=1, max_value=4),
    st.lists(st.integers(min_value=0, max_value=12), min_size=16, max_size=16),
    st.lists(st.booleans(), min_size=16, max_size=16),
)
def test_no_hidden_figure_is_determined_by_the_shown_ones(
    n_rows: int, n_cols: int, sizes: list[int], present: list[bool]
) -> None:
    cells = {
        (f"r{r}", f"c{c}"): sizes[r * 4 + c]
        for r in range(n_rows)
        for c in range(n_cols)
        if present[r * 4 + c] or (r == 0 and c == 0)
    }
    table = _table(cells, two=True)
    shown = disclosure.suppress(table, History(), threshold=T, two_dimensional=True)
    hidden = _hidden(shown)
    assert {p for p, c in table.items() if c.denominator < T} <= hidden
    values = {p: c.denominator for p, c in table.items()}
    assert _determined_by_algebra(values, hidden, two=True) == set()
    # The same for a one-dimensional table of the row totals.
    one = {(a, None): c for (a, b), c in table.items() if a is not None and b is None} | {TOTAL: table[TOTAL]}
    shown_one = disclosure.suppress(one, History(), threshold=T, two_dimensional=False)
    hidden_one = _hidden(shown_one)
    assert _determined_by_algebra({p: c.denominator for p, c in one.items()}, hidden_one, two=False) == set()
