"""Public flow-through that cannot be undone: primary and secondary suppression, month-end cut-offs and
protection against differencing two public cut-offs (SPEC 4.4). Pure: counts in, what to show out.

A public table has one or two dimensions and carries its totals: cells (a, b), row totals (a, None),
column totals (None, b) and the grand total (None, None); a one-dimensional table has cells (a, None)
and the total. Two layers are suppressed apart:
- the outcome layer (denominator, qualified, rate): a position is hidden when its denominator is under
  the threshold, or when it changed by less than the threshold since the last cut-off it was shown at
  (comparing two cut-offs would give the few starts in between);
- the counts layer (starts, matured, neutral exits): hidden with the outcome layer, and when its neutral
  exits are 1 to threshold − 1 or changed by that little since they were last shown.
In each layer, secondary suppression hides more positions until no hidden one is determined by the
table's totals: hidden entries are edges of a graph of the table's lines (each row and column,
totals included), and an entry is determined exactly when its edge is a bridge; while one is, the
smallest visible entry of its row or column is hidden too.
"""

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

Position = tuple[str | None, str | None]
TOTAL: Position = (None, None)


@dataclass(frozen=True)
class Counts:
    """The counts of one position of a table at one cut-off."""

    starts: int
    matured: int
    neutral: int
    qualified: int

    @property
    def denominator(self) -> int:
        """Matured starts that are not neutral exits."""
        return self.matured - self.neutral


@dataclass(frozen=True)
class Shown:
    """What the public sees of one position: each layer shown or hidden."""

    counts: Counts
    outcome_shown: bool
    counts_shown: bool


def month_end(day: date) -> date:
    """The last day of the day's month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def is_month_end(day: date) -> bool:
    """Whether a day is the last of its month."""
    return day == month_end(day)


def last_closed_month_end(today: date) -> date:
    """The end of the last month that has ended by today (Helsinki)."""
    return today.replace(day=1) - timedelta(days=1)


def month_ends(first: date, last: date) -> list[date]:
    """Every month end from first's month to last (inclusive), in order."""
    ends, day = [], month_end(first)
    while day <= last:
        ends.append(day)
        day = month_end(day + timedelta(days=1))
    return ends


def lines_of(positions: Iterable[Position], *, two_dimensional: bool) -> list[list[Position]]:
    """The table's additive lines: each a total and the entries it sums (rows, columns, the margins)."""
    present = set(positions)
    if not two_dimensional:
        return [[TOTAL, *sorted((p for p in present if p != TOTAL), key=_order)]]
    rows: list[str | None] = sorted({a for a, b in present if a is not None and b is not None}, key=str)
    cols: list[str | None] = sorted({b for a, b in present if a is not None and b is not None}, key=str)
    lines: list[list[Position]] = [[(a, None), *[(a, b) for b in cols if (a, b) in present]] for a in rows]
    lines += [[(None, b), *[(a, b) for a in rows if (a, b) in present]] for b in cols]
    lines.append([TOTAL, *[(a, None) for a in rows]])
    lines.append([TOTAL, *[(None, b) for b in cols]])
    return lines


def _order(position: Position) -> tuple[int, str, str]:
    a, b = position
    return (a is None) + (b is None), str(a), str(b)


def _vertex(position: Position) -> tuple[tuple[str, str], tuple[str, str]]:
    """The graph edge of a position: its row line and its column line (the totals' lines included)."""
    a, b = position
    return ("row", str(a)), ("col", str(b))


def determined(hidden: set[Position], *, two_dimensional: bool) -> list[Position]:
    """The hidden positions the visible totals give back exactly: the bridges among the hidden edges."""
    if not two_dimensional:
        # One line (total = Σ cells): a lone hidden entry is given back, two or more are not.
        return sorted(hidden, key=_order) if len(hidden) == 1 else []
    edges = sorted(hidden, key=_order)
    adjacency: dict[object, list[tuple[object, int]]] = {}
    for i, position in enumerate(edges):
        u, v = _vertex(position)
        adjacency.setdefault(u, []).append((v, i))
        adjacency.setdefault(v, []).append((u, i))
    return [edges[i] for i in sorted(_bridges(adjacency))]


def _cost(
    p: Position, component: Mapping[tuple[str, str], tuple[str, str]], sizes: Mapping[Position, int]
) -> tuple[int, int, int, tuple[int, str, str]]:
    u, v = _vertex(p)
    closes = u in component and component.get(u) == component.get(v)
    return (0 if closes else 1, -_order(p)[0], sizes.get(p, 0), _order(p))


def _components(hidden: set[Position]) -> dict[tuple[str, str], tuple[str, str]]:
    """Each line's component among the hidden entries (union-find), by a representative line."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for position in hidden:
        u, v = _vertex(position)
        parent[find(u)] = find(v)
    return {x: find(x) for x in list(parent)}


def _bridges(adjacency: Mapping[object, list[tuple[object, int]]]) -> set[int]:
    """Edges on no cycle (Tarjan, iterative: lowlink over a depth-first forest)."""
    order: dict[object, int] = {}
    low: dict[object, int] = {}
    bridges: set[int] = set()
    for root in adjacency:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[object, int, int]] = [(root, -1, 0)]
        while stack:
            vertex, via, index = stack[-1]
            neighbours = adjacency[vertex]
            if index < len(neighbours):
                stack[-1] = (vertex, via, index + 1)
                other, edge = neighbours[index]
                if edge == via:
                    continue
                if other in order:
                    low[vertex] = min(low[vertex], order[other])
                else:
                    order[other] = low[other] = len(order)
                    stack.append((other, edge, 0))
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[vertex])
                if low[vertex] > order[parent]:
                    bridges.add(via)
    return bridges


def secondary(
    primary: set[Position], sizes: Mapping[Position, int], *, two_dimensional: bool
) -> set[Position]:
    """Hide more positions until no hidden one is determined by the totals: totals before cells (the
    cells are what the public reads, a supplier's figure above all), then the smallest, in a fixed order."""
    hidden = set(primary)
    lines = lines_of(sizes, two_dimensional=two_dimensional)
    while True:
        exposed = determined(hidden, two_dimensional=two_dimensional)
        if not exposed:
            return hidden
        if all(p in hidden for p in sizes):
            return hidden
        hidden.add(_next_to_hide(exposed, hidden, lines, sizes, two_dimensional=two_dimensional))


def _next_to_hide(
    exposed: list[Position],
    hidden: set[Position],
    lines: list[list[Position]],
    sizes: Mapping[Position, int],
    *,
    two_dimensional: bool,
) -> Position:
    """The entry to hide next: one that closes a cycle in the first exposed entry's part of the hidden
    graph if any, else one of a line through an exposed entry, else any visible one (among them: totals
    first, then the smallest)."""
    visible = [p for p in sizes if p not in hidden]
    if not two_dimensional:
        return min(visible, key=lambda p: (-_order(p)[0], sizes.get(p, 0), _order(p)))
    component = _components(hidden)
    home = component[_vertex(exposed[0])[0]]
    closing = [p for p in visible if component.get(_vertex(p)[0]) == home == component.get(_vertex(p)[1])]
    near = [p for line in lines if any(e in line for e in exposed) for p in line if p not in hidden]
    return min(closing or near or visible, key=lambda p: _cost(p, component, sizes))


@dataclass
class History:
    """What was last shown of each position in each layer (the differencing protection's memory)."""

    outcome: dict[Position, Counts] = field(default_factory=dict)
    counts: dict[Position, Counts] = field(default_factory=dict)


def _small_change(before: int | None, after: int, threshold: int) -> bool:
    return before is not None and 0 < abs(after - before) < threshold


def suppress(
    table: Mapping[Position, Counts], history: History, *, threshold: int, two_dimensional: bool
) -> dict[Position, Shown]:
    """One cut-off's table, suppressed; the history is updated with what is shown."""
    sizes = {p: c.denominator for p, c in table.items()}
    primary_outcome = {
        p
        for p, c in table.items()
        if c.denominator < threshold
        or _small_change(
            history.outcome[p].denominator if p in history.outcome else None, c.denominator, threshold
        )
    }
    outcome_hidden = secondary(primary_outcome, sizes, two_dimensional=two_dimensional)
    primary_counts = outcome_hidden | {
        p
        for p, c in table.items()
        if 0 < c.neutral < threshold
        or _small_change(history.counts[p].neutral if p in history.counts else None, c.neutral, threshold)
    }
    counts_hidden = secondary(primary_counts, sizes, two_dimensional=two_dimensional)
    shown = {}
    for p, c in table.items():
        shown[p] = Shown(c, outcome_shown=p not in outcome_hidden, counts_shown=p not in counts_hidden)
        if p not in outcome_hidden:
            history.outcome[p] = c
        if p not in counts_hidden:
            history.counts[p] = c
    return shown


def suppress_over_time(
    tables: Mapping[date, Mapping[Position, Counts]], *, threshold: int, two_dimensional: bool
) -> dict[Position, Shown]:
    """The last cut-off's table, as shown after every earlier public cut-off was (in date order)."""
    history = History()
    shown: dict[Position, Shown] = {}
    for cutoff in sorted(tables):
        shown = suppress(tables[cutoff], history, threshold=threshold, two_dimensional=two_dimensional)
    return shown
