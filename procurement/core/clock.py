"""The one clock: aware UTC in storage, Europe/Helsinki for deadlines shown to people."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def to_helsinki(moment: datetime) -> datetime:
    """Show an aware moment in Finnish local time."""
    return moment.astimezone(HELSINKI)


@dataclass
class ClockOffset:
    """How far a test server's clocks run ahead; always zero outside test mode."""

    seconds: float = 0.0

    @property
    def delta(self) -> timedelta:
        """The offset as a timedelta."""
        return timedelta(seconds=self.seconds)


def helsinki_today(now: datetime) -> date:
    """The calendar day in Finland."""
    return to_helsinki(now).date()
