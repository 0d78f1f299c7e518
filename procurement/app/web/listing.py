"""Lists on pages: one page of the service's keyset order after a cursor, filters kept in the links."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from procurement.core.paging import MAX_LIMIT, Page, PageRequest

T = TypeVar("T")
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
