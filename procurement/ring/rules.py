"""Pure rules of rings and DPSs."""

from datetime import date

from stdnum.fi import ytunnus

from procurement.core.errors import InvalidInput


def member_on(*, valid_from: date, valid_until: date | None, on: date) -> bool:
    """Whether a membership period covers the day."""
    return valid_from <= on and (valid_until is None or on <= valid_until)


def dps_effective_state(*, state: str, valid_until: date, today: date) -> str:
    """A published DPS closes by itself when its validity ends."""
    if state == "published" and today > valid_until:
        return "closed"
    return state


def valid_business_id(value: str, *, field: str = "business_id") -> str:
    """A Y-tunnus in its compact form, or a 422 naming the field."""
    if not ytunnus.is_valid(value):
        raise InvalidInput(
            f"'{value}' is not a valid Finnish business id (Y-tunnus, e.g. 0737546-2).", field=field
        )
    return str(ytunnus.format(value))
