"""The browser session: a signed HttpOnly cookie naming an API token, and CSRF tokens tied to it."""

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litestar.datastructures import Cookie
from sqlmodel import Session, select

from procurement.core.auth import Caller
from procurement.core.models import ApiToken, Principal
from procurement.core.settings import Settings, key_bytes

SESSION_COOKIE = "dpr_session"
ANON_COOKIE = "dpr_csrf"
CSRF_FIELD = "_csrf"
LIFETIME_S = 8 * 3600
COOKIE_PATH = "/ui"


@dataclass(frozen=True)
class WebSession:
    """What the session cookie holds: the principal, its token's hash, a CSRF nonce and the expiry."""

    principal_id: str
    token_hash: str
    nonce: str
    expires: int


def signing_key(settings: Settings) -> bytes:
    """A key of its own for cookies, derived from the sealing key so no new secret is needed."""
    return hmac.new(
        key_bytes(settings.sealing_key, name="sealing_key"), b"dpr web session v1", hashlib.sha256
    ).digest()


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def sign(key: bytes, payload: dict[str, Any]) -> str:
    """The payload as base64url JSON with an HMAC-SHA256 after a dot."""
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{body}.{_mac(key, body)}"


def unsign(key: bytes, value: str) -> dict[str, Any] | None:
    """The payload of a signed value, or None when the signature does not match."""
    body, _, mac = value.rpartition(".")
    if not body or not hmac.compare_digest(mac, _mac(key, body)):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def new_session(*, principal_id: uuid.UUID, token_hash: str) -> WebSession:
    """A fresh session; a new nonce on every sign-in, so a pre-sign-in CSRF token stops working."""
    return WebSession(str(principal_id), token_hash, secrets.token_urlsafe(16), int(time.time()) + LIFETIME_S)


def read_session(key: bytes, value: str | None) -> WebSession | None:
    """The session in a cookie value, if signed by us and not expired."""
    payload = unsign(key, value) if value else None
    if payload is None:
        return None
    try:
        session = WebSession(str(payload["p"]), str(payload["t"]), str(payload["n"]), int(payload["e"]))
    except (KeyError, TypeError, ValueError):
        return None
    return session if session.expires > time.time() else None


def browser_nonce(key: bytes, cookies: Mapping[str, str]) -> tuple[WebSession | None, str | None]:
    """The signed-in session, if any, and this browser's CSRF nonce (the session's, else the anon cookie)."""
    found = read_session(key, cookies.get(SESSION_COOKIE))
    return found, found.nonce if found else cookies.get(ANON_COOKIE)


def session_cookie(key: bytes, session: WebSession, *, secure: bool) -> Cookie:
    """The HttpOnly, SameSite=Lax cookie carrying a session."""
    value = sign(
        key, {"p": session.principal_id, "t": session.token_hash, "n": session.nonce, "e": session.expires}
    )
    return _cookie(SESSION_COOKIE, value, secure=secure, max_age=LIFETIME_S)


def anon_cookie(nonce: str, *, secure: bool) -> Cookie:
    """The nonce that ties the sign-in form's CSRF token to this browser."""
    return _cookie(ANON_COOKIE, nonce, secure=secure, max_age=LIFETIME_S)


def expired_cookie(name: str) -> Cookie:
    """A cookie that deletes the one of the name."""
    return Cookie(key=name, value="", path=COOKIE_PATH, max_age=0, expires=0, httponly=True, samesite="lax")


def _cookie(name: str, value: str, *, secure: bool, max_age: int) -> Cookie:
    return Cookie(
        key=name, value=value, path=COOKIE_PATH, max_age=max_age, httponly=True, samesite="lax", secure=secure
    )


def csrf_token(key: bytes, nonce: str) -> str:
    """The token every form carries: an HMAC of the browser's nonce (never the nonce itself)."""
    return _mac(key, f"csrf|{nonce}")


def csrf_ok(key: bytes, nonce: str | None, sent: str | None) -> bool:
    """Whether a posted token belongs to this browser's nonce."""
    return bool(nonce and sent) and hmac.compare_digest(csrf_token(key, nonce or ""), sent or "")


def caller_of(db: Session, session: WebSession) -> Caller | None:
    """The principal behind a session while its API token is still valid (revoking it signs out)."""
    try:
        principal_id = uuid.UUID(session.principal_id)
    except ValueError:
        return None
    row = db.exec(
        select(Principal)
        .join(ApiToken, ApiToken.principal_id == Principal.id)  # type: ignore[arg-type]
        .where(
            Principal.id == principal_id,
            ApiToken.token_hash == session.token_hash,
            ApiToken.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ).first()
    if row is None:
        return None
    return Caller(
        id=row.id, role=row.role, name=row.name, authority_id=row.authority_id, business_id=row.business_id
    )
