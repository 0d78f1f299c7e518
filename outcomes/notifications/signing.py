"""Signing a webhook delivery as the Standard Webhooks specification does (HMAC-SHA256).

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`; `webhook-signature` carries one or
more space-separated `v1,<base64 signature>` values (two while a rotated secret overlaps the new one).
Receivers recompute it, compare in constant time, and refuse timestamps more than 5 minutes old.
"""

import base64
import hashlib
import hmac

TOLERANCE_S = 300


def signature(key: bytes, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of a delivery."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(keys: list[bytes], *, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The delivery's headers: its id, its timestamp and a signature per valid key."""
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(k, msg_id=msg_id, timestamp=timestamp, body=body) for k in keys
        ),
    }


def verify(key: bytes, *, msg_id: str, timestamp: str, signatures: str, body: bytes, now: int) -> bool:
    """What a receiver does: a fresh timestamp and one matching signature (docs/webhooks.md)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_S:
        return False
    expected = signature(key, msg_id=msg_id, timestamp=int(timestamp), body=body)
    return any(hmac.compare_digest(expected, s) for s in signatures.split())
