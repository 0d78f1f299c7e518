"""Pure rules of rings and DPSs."""

from datetime import date


def member_on(*, valid_from: date, valid_until: date | None, on: date) -> bool:
    """Whether a membership period covers the day."""
    return valid_from <= on and (valid_until is None or on <= valid_until)


def dps_effective_state(*, state: str, valid_until: date, today: date) -> str:
    """A published DPS closes by itself when its validity ends."""
    if state == "published" and today > valid_until:
        return "closed"
    return state
