"""Keyset pagination for every list: a page of rows after an opaque cursor, in a stable order.

A list is ordered by a key that ends in a unique column (its id), so the key of the last row of a page
says exactly where the next page starts: `WHERE (k1, k2, id) > (:k1, :k2, :id) ORDER BY k1, k2, id
LIMIT n + 1`. Rows inserted between two page requests never shift a page (as an OFFSET would): no row
that existed when the walk began is lost or repeated, and an index on the key serves each page in
constant time however deep the walk. The cursor is the last key, base64url-encoded JSON tagged with
the list it belongs to; clients treat it as opaque.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import String, tuple_

from procurement.core.errors import InvalidInput

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# A cursor is a few keys; anything much longer is not one of ours (and is refused before decoding).
MAX_CURSOR_CHARS = 512

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")  # a select of SQLModel or SQLAlchemy


@dataclass(frozen=True)
class PageRequest:
    """Where a page starts (the previous page's `next`, or None for the first) and how many rows."""

    after: str | None = None
    limit: int = DEFAULT_LIMIT


FIRST_PAGE = PageRequest()


@dataclass(frozen=True)
class Page(Generic[T]):
    """The rows of one page and the cursor of the next (None on the last page)."""

    items: list[T]
    next: str | None


@dataclass(frozen=True)
class Keyset:
    """A list's order: its name (tagged into cursors) and its key columns, the last one unique."""

    name: str
    columns: Sequence[Any]  # column expressions (col(Model.field))
    descending: bool = False

    def apply(self, query: S, page: PageRequest) -> S:
        """The query limited to the page after the cursor, in key order, with one row more to peek."""
        select: Any = query
        if page.after is not None:
            values = self.decode(page.after)
            key, bound = tuple_(*self.columns), tuple_(*values)
            select = select.where(key < bound if self.descending else key > bound)
        order = [c.desc() if self.descending else c.asc() for c in self.columns]
        paged: S = select.order_by(*order).limit(page.limit + 1)
        return paged

    def page(self, rows: Sequence[R], page: PageRequest, key: Callable[[R], tuple[Any, ...]]) -> Page[R]:
        """The first `limit` rows and, when there were more, the cursor after the last of them."""
        items = list(rows[: page.limit])
        more = len(rows) > page.limit
        return Page(items=items, next=self.encode(key(items[-1])) if more else None)

    def encode(self, values: tuple[Any, ...]) -> str:
        """An opaque cursor after a row with these key values."""
        raw = json.dumps([self.name, *(_plain(v) for v in values)], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()

    def decode(self, cursor: str) -> tuple[Any, ...]:
        """The key values in a cursor this list gave; 422 naming `after` for anything else."""
        try:
            if len(cursor) > MAX_CURSOR_CHARS:
                raise ValueError("too long")
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            data = json.loads(raw)
            if not isinstance(data, list) or data[:1] != [self.name] or len(data) != len(self.columns) + 1:
                raise ValueError("not this list's cursor")
            return tuple(_typed(c, v) for c, v in zip(self.columns, data[1:], strict=True))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidInput(
                "Not a cursor of this list: pass the X-Next-Cursor value (or the Link's `after`) of the"
                " previous page unchanged.",
                field="after",
            ) from exc


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _python_type(sql_type: Any) -> type:
    """The column's Python type; SQLModel's text columns (AutoString) answer `object`, their impl `str`."""
    kind: type = sql_type.python_type
    if kind is object and isinstance(getattr(sql_type, "impl_instance", None), String):
        return str
    return kind


def _typed(column: Any, value: Any) -> Any:
    """A cursor value as its column's Python type; a ValueError or TypeError when it is not one."""
    kind = _python_type(column.type)
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("a moment without a zone")
        return moment
    if kind is date:
        return date.fromisoformat(value)
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is int and type(value) is int:
        return value
    if kind is str and isinstance(value, str):
        return value
    raise TypeError(f"{type(value).__name__} is no {kind.__name__}")
