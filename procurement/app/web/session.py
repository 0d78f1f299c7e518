"""Browser sessions kept on the server: a signed HttpOnly cookie names one and carries its secret.

The row holds the secret's SHA-256 (a dump cannot forge a cookie) and the principal's holder key wrapped
under the secret (only the browser can unwrap it). A session ends at sign-out, when its token is
revoked, after `session_idle_minutes` without a request and `session_absolute_hours` after sign-in.
"""

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar.datastructures import Cookie
from sqlalchemy import update
from sqlmodel import Session, col, select

from procurement.core import holder
from procurement.core.auth import Caller
from procurement.core.models import ApiToken, Principal, WebSession
from procurement.core.settings import Settings, key_bytes

SESSION_COOKIE = "dpr_session"
ANON_COOKIE = "dpr_csrf"
CSRF_FIELD = "_csrf"
COOKIE_PATH = "/ui"
# last_seen_at is written at most this often per session: a page's requests do not each write a row.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionCookie:
    """What the cookie carries: the session's id and its secret (the browser's CSRF nonce derives from it)."""

    session_id: uuid.UUID
    secret: str


def signing_key(settings: Settings) -> bytes:
    """The session key, a secret of its own (DPR_SESSION_KEY), never derived from another key."""
    return key_bytes(settings.session_key, name="session_key")


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


def read_cookie(key: bytes, value: str | None) -> SessionCookie | None:
    """The session a cookie names, if we signed it."""
    payload = unsign(key, value) if value else None
    try:
        return SessionCookie(uuid.UUID(str(payload["s"])), str(payload["k"])) if payload else None
    except (KeyError, TypeError, ValueError):
        return None


def browser_nonce(key: bytes, cookies: Mapping[str, str]) -> tuple[SessionCookie | None, str | None]:
    """The session cookie, if any, and this browser's CSRF nonce (from the session, else the anon cookie)."""
    found = read_cookie(key, cookies.get(SESSION_COOKIE))
    return found, f"s|{found.secret}" if found else cookies.get(ANON_COOKIE)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(
    db: Session, *, caller: Caller, user_agent: str, now: datetime, settings: Settings
) -> tuple[WebSession, SessionCookie]:
    """Store a new session for a caller just authenticated by its token; a new secret every sign-in."""
    assert caller.token_id is not None  # noqa: S101 (signed in with a token)
    session_id, secret = uuid.uuid4(), secrets.token_urlsafe(32)
    wrapped = (
        holder.wrap(token=secret, token_id=session_id, key=caller.holder_key) if caller.holder_key else None
    )
    row = WebSession(
        id=session_id,
        principal_id=caller.id,
        token_id=caller.token_id,
        secret_hash=_secret_hash(secret),
        holder_key_wrap=wrapped,
        user_agent=user_agent[:200],
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_absolute_hours),
    )
    db.add(row)
    db.flush()
    return row, SessionCookie(session_id, secret)


def resume(db: Session, cookie: SessionCookie, *, now: datetime, settings: Settings) -> Caller | None:
    """The caller of a live session: not ended, its token not revoked, not idle, not past its lifetime.

    Nothing is written for a dead session (the request that finds it is answered with a redirect and
    rolled back); idle and expired sessions are dead by their times alone.
    """
    found = db.exec(
        select(WebSession, Principal, ApiToken)
        .join(Principal, col(Principal.id) == WebSession.principal_id)
        .join(ApiToken, col(ApiToken.id) == WebSession.token_id)
        .where(WebSession.id == cookie.session_id)
    ).first()
    if found is None:
        return None
    row, principal, token = found
    if row.ended_at is not None or not hmac.compare_digest(row.secret_hash, _secret_hash(cookie.secret)):
        return None
    if token.revoked_at is not None or now >= row.expires_at:
        return None
    if now - row.last_seen_at >= timedelta(minutes=settings.session_idle_minutes):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        db.add(row)
    wrapped = row.holder_key_wrap
    key = holder.unwrap(token=cookie.secret, token_id=row.id, wrapped=bytes(wrapped)) if wrapped else None
    return Caller(
        id=principal.id,
        role=principal.role,
        name=principal.name,
        authority_id=principal.authority_id,
        business_id=principal.business_id,
        token_id=token.id,
        holder_key=key,
    )


def end(db: Session, row: WebSession, *, reason: str, now: datetime) -> None:
    """End one session now; its wrapped holder key is erased with it."""
    row.ended_at, row.end_reason, row.holder_key_wrap = now, reason, None
    db.add(row)
    db.flush()


def end_all(db: Session, *, principal_id: uuid.UUID, reason: str, now: datetime) -> int:
    """End every live session of a principal ("sign out everywhere"); how many ended."""
    result = db.execute(
        update(WebSession)
        .where(col(WebSession.principal_id) == principal_id, col(WebSession.ended_at).is_(None))
        .values(ended_at=now, end_reason=reason, holder_key_wrap=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def live_sessions(
    db: Session, *, principal_id: uuid.UUID, now: datetime, settings: Settings
) -> list[WebSession]:
    """A principal's sessions still live, newest first."""
    idle_since = now - timedelta(minutes=settings.session_idle_minutes)
    return list(
        db.exec(
            select(WebSession)
            .join(ApiToken, col(ApiToken.id) == WebSession.token_id)
            .where(
                WebSession.principal_id == principal_id,
                col(WebSession.ended_at).is_(None),
                col(ApiToken.revoked_at).is_(None),
                col(WebSession.expires_at) > now,
                col(WebSession.last_seen_at) > idle_since,
            )
            .order_by(col(WebSession.created_at).desc(), col(WebSession.id))
        ).all()
    )


def session_cookie(key: bytes, cookie: SessionCookie, *, secure: bool, max_age: int) -> Cookie:
    """The HttpOnly, SameSite=Lax cookie naming a session."""
    value = sign(key, {"s": str(cookie.session_id), "k": cookie.secret})
    return _cookie(SESSION_COOKIE, value, secure=secure, max_age=max_age)


def anon_cookie(nonce: str, *, secure: bool) -> Cookie:
    """The nonce that ties the sign-in form's CSRF token to this browser."""
    return _cookie(ANON_COOKIE, nonce, secure=secure, max_age=3600)


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
