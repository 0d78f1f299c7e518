"""How every list route takes a page (`after`, `limit`) and says where the next one is (headers)."""

from typing import Annotated, TypeVar
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.params import QueryParameter

from procurement.core.paging import DEFAULT_LIMIT, MAX_CURSOR_CHARS, MAX_LIMIT, Page, PageRequest

T = TypeVar("T")

After = Annotated[
    str | None,
    QueryParameter(
        description="Start after this cursor: the previous page's X-Next-Cursor (opaque).",
        max_length=MAX_CURSOR_CHARS,
    ),
]
Limit = Annotated[
    int,
    QueryParameter(
        description=f"Rows per page, 1–{MAX_LIMIT} (default {DEFAULT_LIMIT}).", ge=1, le=MAX_LIMIT
    ),
]

# Documented on every list operation; sent only when another page follows.
PAGE_HEADERS = [
    ResponseHeader(
        name="Link",
        description='The next page, `<…?after=…&limit=…>; rel="next"`; absent on the last page.',
        value="/",
        documentation_only=True,
    ),
    ResponseHeader(
        name="X-Next-Cursor",
        description="The cursor to pass as `after` for the next page; absent on the last page.",
        value="/",
        documentation_only=True,
    ),
]


def page_request(after: str | None, limit: int) -> PageRequest:
    """The page a list route was asked for."""
    return PageRequest(after=after or None, limit=limit)


def paged(request: Request, page: Page[T]) -> Response[list[T]]:
    """The page's rows as the body; Link and X-Next-Cursor name the next page when there is one."""
    if page.next is None:
        return Response(page.items)
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
    query.append(("after", page.next))
    link = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
    return Response(page.items, headers={"Link": link, "X-Next-Cursor": page.next})
