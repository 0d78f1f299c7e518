"""API shapes of the open data: the change feed and the index of monthly bulk packages."""

import uuid
from datetime import datetime

import msgspec


class FeedItem(msgspec.Struct):
    """One public change: its position, its event id, what it was, when, and its release."""

    cursor: str
    id: uuid.UUID
    type: str
    at: datetime
    ocid: str
    tags: list[str]
    release_url: str
    record_url: str


class FeedPage(msgspec.Struct):
    """A page of the feed; poll again with `after=next` (the same value while nothing has changed)."""

    items: list[FeedItem]
    next: str


class MonthOut(msgspec.Struct):
    """A month's bulk release package."""

    month: str
    releases: int
    last_modified: datetime
    url: str
