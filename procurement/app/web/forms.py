"""Reading posted forms: typed fields with messages that can stand beside the field."""

import re
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

import msgspec
from litestar.enums import RequestEncodingType
from litestar.params import Body

from procurement.app.web.messages import N_
from procurement.core.clock import HELSINKI, to_helsinki
from procurement.core.errors import DomainError, InvalidInput
from procurement.core.text import refusals

_AT_PATH = re.compile(r"at `\$\.(?P<path>[^`]+)`")

T = TypeVar("T")
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class FieldErrors(dict[str, Any]):
    """Messages by field name, in the order found."""


def text(form: dict[str, Any], name: str) -> str:
    """A text field, stripped (a repeated field keeps its last value)."""
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value).strip()


def integer(form: dict[str, Any], name: str, errors: FieldErrors, *, required: bool = True) -> int | None:
    """A whole number (spaces as thousands separators allowed)."""
    raw = text(form, name).replace(" ", "").replace("\u00a0", "")
    if not raw:
        if required:
            errors[name] = "Required."
        return None
    try:
        return int(raw)
    except ValueError:
        errors[name] = "Enter a whole number."
        return None


def euros(form: dict[str, Any], name: str, errors: FieldErrors, *, required: bool = True) -> int | None:
    """Euros as typed by a Finn (1 234,50) to integer cents."""
    raw = text(form, name).replace(" ", "").replace("\u00a0", "").replace("€", "").replace(",", ".")
    if not raw:
        if required:
            errors[name] = "Required."
        return None
    try:
        cents = Decimal(raw) * 100
    except InvalidOperation:
        errors[name] = "Enter an amount in euros, e.g. 1 234,50."
        return None
    if cents != cents.to_integral_value():
        errors[name] = "At most two decimals."
        return None
    return int(cents)


def percent_bp(form: dict[str, Any], name: str, errors: FieldErrors) -> int | None:
    """A percentage (50 or 50,5) to basis points."""
    raw = text(form, name).replace(",", ".").replace("%", "").strip()
    try:
        bp = Decimal(raw) * 100
    except InvalidOperation:
        errors[name] = "Enter a percentage, e.g. 50."
        return None
    if bp != bp.to_integral_value():
        errors[name] = "At most two decimals."
        return None
    return int(bp)


def local_moment(form: dict[str, Any], name: str, errors: FieldErrors) -> datetime | None:
    """A datetime-local value read as Europe/Helsinki time."""
    raw = text(form, name)
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=HELSINKI)
    except ValueError:
        errors[name] = "Enter a date and time."
        return None


def day(form: dict[str, Any], name: str, errors: FieldErrors) -> date | None:
    """A date field (yyyy-mm-dd from the browser's date input)."""
    try:
        return date.fromisoformat(text(form, name))
    except ValueError:
        errors[name] = "Enter a date."
        return None


def uuid_field(form: dict[str, Any], name: str, errors: FieldErrors) -> uuid.UUID | None:
    """A chosen id."""
    try:
        return uuid.UUID(text(form, name))
    except ValueError:
        errors[name] = "Choose one."
        return None


def local_input(moment: datetime | None) -> str:
    """A moment as a datetime-local value in Europe/Helsinki."""
    return "" if moment is None else to_helsinki(moment).strftime("%Y-%m-%dT%H:%M")


def add_refusal(errors: FieldErrors, exc: DomainError, *, field: str) -> None:
    """A refusal's messages beside their fields; one that names no field goes beside `field`."""
    plain_words = exc.extra.get("plain")
    for item in exc.extra.get("errors", [{"field": field, "message": exc.detail}]):
        # A field path inside a list (lots[0].municipality_codes[1]) stands beside its input.
        name = re.sub(r"\[\d+\]$", "", str(item["field"]))
        errors[name] = plain_words or item["message"]


# msgspec's words for a value it refuses, as the person who typed it reads them.
_PLAIN = (
    (re.compile(r"Expected `str` of length <= (\d+)"), N_("At most %(n)s characters.")),
    (re.compile(r"Expected `str` of length >= (\d+)"), N_("At least %(n)s characters.")),
    (
        re.compile(r"Expected `(?:int|array)` <= (\d+)|Expected `array` of length <= (\d+)"),
        N_("At most %(n)s."),
    ),
    (re.compile(r"Expected `int` >= (\d+)"), N_("At least %(n)s.")),
    (re.compile(r"Expected `str` matching regex"), N_("This is not in the expected form.")),
    (re.compile(r"Expected `int`"), N_("Enter a whole number.")),
    (re.compile(r"Invalid enum value|Expected `str`"), N_("Choose one of the options.")),
    (re.compile(r"Object missing required field"), N_("Required.")),
)


def plain(message: str) -> str | tuple[str, dict[str, str]]:
    """A schema's refusal in plain words: never a regex, a type name or a field path."""
    for pattern, words in _PLAIN:
        found = pattern.search(message)
        if found:
            n = next((g for g in found.groups() if g), None)
            return (words, {"n": n}) if n else words
    return N_("This value is not accepted.")


def typed(kind: type[T], body: dict[str, Any]) -> T:
    """Build an API schema from form values with the checks of a JSON body (ranges, lengths, patterns,
    no control characters)."""
    for field, message in refusals(body):
        raise InvalidInput(message, field=field)
    try:
        return msgspec.convert(body, kind)
    except msgspec.ValidationError as exc:
        found = _AT_PATH.search(str(exc))
        refused = InvalidInput(str(exc).split(" - at ")[0], field=found.group("path") if found else None)
        refused.extra["plain"] = plain(str(exc))
        raise refused from exc
