"""Canonical JSON and hashing: one spelling of a value, so hashes can be reproduced anywhere."""

import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any


def jsonable(value: Any) -> Any:
    """Turn a value into plain JSON types (dates as ISO strings, UTC for moments)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime cannot be made canonical")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        # Floats have no single spelling across languages; amounts are integers here.
        raise ValueError("floats are not allowed in canonical JSON")
    return value


def canonical_json(value: Any) -> bytes:
    """Serialise with sorted keys, no spaces, UTF-8."""
    return json.dumps(jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()
