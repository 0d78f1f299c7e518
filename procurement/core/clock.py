"""The one clock: aware UTC in storage, Europe/Helsinki for deadlines shown to people."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def to_helsinki(moment: datetime) -> datetime:
    """Show an aware moment in Finnish local time."""
    return moment.astimezone(HELSINKI)
