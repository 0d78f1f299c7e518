"""Lists on pages: filters, sorting and pagination from the query string, links that keep the rest."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from procurement.core.paging import MAX_LIMIT, Page, PageRequest

T = TypeVar("T")
PER_PAGE = 25
# Pages that filter and sort in memory read one page of the service's largest size: the lists they show
# (an authority's open work, a supplier's own rows) stay well under it.
WHOLE = PageRequest(limit=MAX_LIMIT)
# A walked list shows this many rows a page.
WEB_PAGE = 50
# A filter the service does not know is applied to the rows it returns; a page reads at most this many
# of the service's pages to fill itself, so a rare filter value costs pages with fewer rows, not time.
MAX_READS = 10


@dataclass(frozen=True)
class Walk(Generic[T]):
    """One page of a list in the service's keyset order, and the links onward (None: there is none)."""

    rows: list[T]
    next_link: str | None
    first_link: str | None
    params: dict[str, str]


def walk(
    fetch: Callable[[PageRequest], Page[T]],
    *,
    query: Mapping[str, str],
    path: str,
    keep: Sequence[str] = (),
    test: Callable[[T], bool] | None = None,
    size: int = WEB_PAGE,
    param: str = "after",
) -> Walk[T]:
    """The page after the query's cursor: `fetch` reads the service, `test` drops rows a filter refuses.

    The next link holds the cursor after the last row read (shown or filtered out) and the filters in
    `keep`, so walking the links shows every row once, in order, even while rows are being added.
    """
    after = query.get(param) or None
    params = {k: query[k] for k in keep if query.get(k)}
    rows: list[T] = []
    cursor = after
    for _ in range(MAX_READS):
        page = fetch(PageRequest(after=cursor, limit=size - len(rows)))
        rows.extend(r for r in page.items if test is None or test(r))
        cursor = page.next
        if cursor is None or len(rows) >= size:
            break
    return Walk(
        rows=rows,
        next_link=_address(path, {**params, param: cursor}) if cursor else None,
        first_link=_address(path, params) if after else None,
        params=params,
    )


def _address(path: str, params: Mapping[str, str]) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{path}?{query}" if query else path


@dataclass(frozen=True)
class Listing:
    """One page of a filtered, sorted list, and how to link to other pages and orders."""

    rows: list[Any]
    total: int
    page: int
    pages: int
    sort: str
    descending: bool
    params: dict[str, str]
    path: str

    def link(self, **changes: Any) -> str:
        """This list's address with some parameters changed (None removes one)."""
        merged = {**self.params, **{k: ("" if v is None else str(v)) for k, v in changes.items()}}
        query = urlencode({k: v for k, v in merged.items() if v})
        return f"{self.path}?{query}" if query else self.path

    def sort_link(self, key: str) -> str:
        """The address that sorts by a column (again: the other way)."""
        descending = not self.descending if key == self.sort else False
        return self.link(sort=key, desc="1" if descending else None, page=None)

    def aria_sort(self, key: str) -> str:
        """The column's aria-sort value."""
        if key != self.sort:
            return "none"
        return "descending" if self.descending else "ascending"


def listing(
    rows: Sequence[T],
    *,
    query: dict[str, str],
    path: str,
    filters: dict[str, Callable[[T, str], bool]],
    sorts: dict[str, Callable[[T], Any]],
    default_sort: str,
    per_page: int = PER_PAGE,
) -> Listing:
    """Filter by the query's known filters, sort by a known key, and cut one page."""
    params = {k: v for k, v in query.items() if v and (k in filters or k in ("sort", "desc", "page"))}
    kept = [r for r in rows if all(test(r, params[name]) for name, test in filters.items() if name in params)]
    sort = params.get("sort", default_sort)
    if sort not in sorts:
        sort = default_sort
    descending = params.get("desc") == "1"
    kept.sort(key=lambda r: _sortable(sorts[sort](r)), reverse=descending)
    pages = max(1, -(-len(kept) // per_page))
    try:
        page = min(max(1, int(params.get("page", "1"))), pages)
    except ValueError:
        page = 1
    start = (page - 1) * per_page
    return Listing(kept[start : start + per_page], len(kept), page, pages, sort, descending, params, path)


def _sortable(value: Any) -> tuple[bool, Any]:
    # Blanks last whichever way the list is sorted ascending.
    return (value is None, value if value is not None else 0)
