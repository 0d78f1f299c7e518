"""The participant pseudonym: HMAC-SHA256 of a validated hetu; the hetu goes no further than this module."""

import hashlib
import hmac

from stdnum.exceptions import ValidationError
from stdnum.fi import hetu

from procurement.core.errors import InvalidInput
from procurement.core.settings import Settings, key_bytes

# Never name or repeat the value: an error message that echoes a hetu would put it in logs and clients.
INVALID_HETU = (
    "The personal identity code (henkilötunnus) is not valid: check its date, number and check mark."
)


def pseudonym_key(settings: Settings) -> bytes:
    """The HMAC key from configuration."""
    return key_bytes(settings.pseudonym_key, name="pseudonym_key")


def pseudonymise(value: str, *, key: bytes, allow_test_codes: bool = False) -> str:
    """Validate a hetu and return its HMAC-SHA256 hex; raises InvalidInput without echoing the value."""
    # Test codes (individual number 900–999) belong to no real person; accepted only when asked, so demo
    # and test data never need a real person's code.
    try:
        compact = hetu.validate(value, allow_temporary=allow_test_codes)
    except ValidationError:
        raise InvalidInput(INVALID_HETU, field="hetu") from None
    return hmac.new(key, compact.encode("ascii"), hashlib.sha256).hexdigest()


def synthetic_hetu(*, day: int, month: int, year: int, individual: int) -> str:
    """A valid hetu in the test range (individual number 900–999) for demo and test data."""
    if not 900 <= individual <= 999:
        raise ValueError("test codes use individual numbers 900–999")
    century = {18: "+", 19: "-", 20: "A"}[year // 100]
    digits = f"{day:02d}{month:02d}{year % 100:02d}{individual:03d}"
    check = "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(digits) % 31]
    return f"{digits[:6]}{century}{digits[6:]}{check}"
