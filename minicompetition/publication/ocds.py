"""OCDS 1.1 building blocks: identifiers, organisations, money, the merged schema. Pure: no database."""

import json
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

from procurement.core.clock import HELSINKI

SCHEMA_DIR = Path(__file__).parent / "schema"
DEFINITIONS_PATCH = SCHEMA_DIR / "definitions-patch.json"
VERSION = "1.1"
CURRENCY = "EUR"
# The business id scheme of the Finnish Patent and Registration Office (org-id.guide: FI-PRO).
SCHEME = "FI-PRO"
# The extensions the releases use, by the URLs of their metadata (the vendored copies are in schema/).
EXTENSIONS = {
    "techniques": "https://raw.githubusercontent.com/open-contracting-extensions/ocds_techniques_extension/master/extension.json",
    "lots": "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/master/extension.json",
    "bids": "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/master/extension.json",
}


def ocid(prefix: str, local_id: Any) -> str:
    """The contracting process's OCID: the registered prefix and the process's own id."""
    return f"{prefix}-{local_id}"


def moment(value: datetime) -> str:
    """An aware moment as OCDS spells dates (RFC 3339 with offset)."""
    return value.isoformat()


def day_start(day: date) -> str:
    """The first moment of a Helsinki calendar day."""
    return datetime.combine(day, time(0, 0), tzinfo=HELSINKI).isoformat()


def day_end(day: date) -> str:
    """The last second of a Helsinki calendar day."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=HELSINKI).isoformat()


def amount(cents: int) -> float | int:
    """Euros as a JSON number from integer cents: exact, at most two decimals (12345.6 prints as such)."""
    return cents // 100 if cents % 100 == 0 else cents / 100


def value(cents: int) -> dict[str, Any]:
    """An OCDS Value in euros."""
    return {"amount": amount(cents), "currency": CURRENCY}


def party_id(business_id: str) -> str:
    """The party id of an organisation: its scheme and business id."""
    return f"{SCHEME}-{business_id}"


def organisation(*, business_id: str, name: str, roles: list[str]) -> dict[str, Any]:
    """An organisation in `parties`: name and business id only, never a person or a contact."""
    return {
        "id": party_id(business_id),
        "name": name,
        "identifier": {"scheme": SCHEME, "id": business_id, "legalName": name},
        "roles": roles,
    }


def reference(*, business_id: str, name: str) -> dict[str, str]:
    """An OrganizationReference to a party."""
    return {"id": party_id(business_id), "name": name}


def merge_parties(parties: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per organisation with the union of its roles, in first-seen order."""
    merged: dict[str, dict[str, Any]] = {}
    for party in parties:
        seen = merged.get(party["id"])
        if seen is None:
            merged[party["id"]] = {**party, "roles": list(party["roles"])}
        else:
            seen["roles"] += [r for r in party["roles"] if r not in seen["roles"]]
    return list(merged.values())


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch, as the extension registry applies extensions to the schema."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, item in patch.items():
        if item is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), item)
    return result


@cache
def release_schema() -> dict[str, Any]:
    """The OCDS 1.1.5 release schema with the Techniques, Lots and Bids extensions merged in."""
    schema = json.loads((SCHEMA_DIR / "1.1.5" / "release-schema.json").read_text())
    for name in EXTENSIONS:
        patch = json.loads((SCHEMA_DIR / "extensions" / name / "release-schema.json").read_text())
        schema = merge_patch(schema, patch)
    # The vendored Lots and Bid extensions refer to two definitions of other extensions; without them the
    # schema cannot be dereferenced (schema/README.md).
    return merge_patch(schema, json.loads(DEFINITIONS_PATCH.read_text()))
