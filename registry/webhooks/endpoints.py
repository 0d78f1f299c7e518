"""Use cases of a supplier's webhook endpoints and e-mail setting: register, list, rotate, delete."""

import ipaddress
import socket
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.errors import InvalidInput, NotFound
from procurement.core.event_kinds import SUBSCRIBABLE
from procurement.core.settings import Settings
from registry.suppliers import current_supplier
from registry.webhooks import secrets
from registry.webhooks.models import NotificationSetting, WebhookEndpoint
from registry.webhooks.schemas import (
    EmailSettingIn,
    EmailSettingOut,
    EndpointIn,
    EndpointOut,
    EndpointSecret,
)

MAX_ENDPOINTS = 10
NOT_FOUND = "You have no webhook endpoint with that id."


def endpoint_out(e: WebhookEndpoint) -> EndpointOut:
    """Shape an endpoint for its supplier."""
    return EndpointOut(
        id=e.id,
        url=e.url,
        event_types=list(e.event_types),
        description=e.description,
        created_at=e.created_at,
        rotated_at=e.rotated_at,
        previous_secret_valid_until=e.previous_valid_until,
    )


def refused_address(host: str, *, allow_private: bool) -> str | None:
    """Why a host may not be called (it resolves to an internal address), or None when it may."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return f"the host {host} cannot be resolved"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        internal = address.is_private or address.is_loopback or address.is_link_local
        if (
            address.is_multicast
            or address.is_reserved
            or address.is_unspecified
            or (internal and not allow_private)
        ):
            return f"the host {host} resolves to {address}, an internal address"
    return None


def check_url(url: str, *, settings: Settings) -> str:
    """A webhook URL: https in production, never pointing inside the service's own network."""
    parts = urlsplit(url)
    if parts.scheme != "https" and settings.env == "production":
        raise InvalidInput("Webhook URLs use https.", field="url")
    if parts.username or parts.password or not parts.hostname:
        raise InvalidInput("A webhook URL names a host and carries no credentials.", field="url")
    reason = refused_address(parts.hostname, allow_private=settings.webhook_allow_private)
    if reason:
        raise InvalidInput(f"The webhook URL is refused: {reason}.", field="url")
    return url


def _check_types(types: list[str]) -> list[str]:
    unknown = sorted(set(types) - set(SUBSCRIBABLE))
    if unknown:
        raise InvalidInput(
            f"Unknown event types: {', '.join(unknown)}; choose from {', '.join(SUBSCRIBABLE)}.",
            field="event_types",
        )
    return sorted(set(types))


def create(
    session: Session, *, caller: Caller, data: EndpointIn, now: datetime, settings: Settings
) -> EndpointSecret:
    """Register an endpoint; its signing secret is shown once, here."""
    supplier = current_supplier(session, caller)
    types = _check_types(data.event_types)
    url = check_url(data.url, settings=settings)
    held = session.exec(
        select(WebhookEndpoint.id).where(
            WebhookEndpoint.supplier_id == supplier.id, col(WebhookEndpoint.deleted_at).is_(None)
        )
    ).all()
    if len(held) >= MAX_ENDPOINTS:
        raise InvalidInput(
            f"A supplier has at most {MAX_ENDPOINTS} endpoints; delete one first.", field="url"
        )
    secret = secrets.new_secret()
    endpoint = WebhookEndpoint(
        supplier_id=supplier.id,
        url=url,
        description=data.description,
        event_types=types,
        secret=secrets.seal(settings, secret),
        created_at=now,
    )
    session.add(endpoint)
    session.flush()
    audit.record(
        session,
        aggregate=("supplier", supplier.id),
        actor=caller.label,
        action="webhook.registered",
        at=now,
        after={"endpoint": endpoint.id, "url": url, "event_types": types},
    )
    return EndpointSecret(endpoint=endpoint_out(endpoint), secret=secret)


def load(session: Session, *, caller: Caller, endpoint_id: uuid.UUID, lock: bool = False) -> WebhookEndpoint:
    """One of the calling supplier's live endpoints; 404 for anyone else's."""
    supplier = current_supplier(session, caller)
    endpoint = session.get(WebhookEndpoint, endpoint_id, with_for_update=lock)
    if endpoint is None or endpoint.supplier_id != supplier.id or endpoint.deleted_at is not None:
        raise NotFound(NOT_FOUND)
    return endpoint


def list_endpoints(session: Session, *, caller: Caller) -> list[EndpointOut]:
    """The calling supplier's endpoints."""
    supplier = current_supplier(session, caller)
    rows = session.exec(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.supplier_id == supplier.id, col(WebhookEndpoint.deleted_at).is_(None))
        .order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))
    ).all()
    return [endpoint_out(e) for e in rows]


def rotate(
    session: Session, *, caller: Caller, endpoint_id: uuid.UUID, now: datetime, settings: Settings
) -> EndpointSecret:
    """A new secret, shown once; the old one still signs beside it for the configured overlap."""
    endpoint = load(session, caller=caller, endpoint_id=endpoint_id, lock=True)
    secret = secrets.new_secret()
    overlap = timedelta(hours=settings.webhook_secret_overlap_hours)
    endpoint.previous_secret = endpoint.secret if overlap else None
    endpoint.previous_valid_until = now + overlap if overlap else None
    endpoint.secret, endpoint.rotated_at = secrets.seal(settings, secret), now
    session.add(endpoint)
    session.flush()
    audit.record(
        session,
        aggregate=("supplier", endpoint.supplier_id),
        actor=caller.label,
        action="webhook.rotated",
        at=now,
        after={"endpoint": endpoint.id, "previous_valid_until": endpoint.previous_valid_until},
    )
    return EndpointSecret(endpoint=endpoint_out(endpoint), secret=secret)


def get(session: Session, *, caller: Caller, endpoint_id: uuid.UUID) -> EndpointOut:
    """One of the calling supplier's endpoints."""
    return endpoint_out(load(session, caller=caller, endpoint_id=endpoint_id))


def delete(session: Session, *, caller: Caller, endpoint_id: uuid.UUID, now: datetime) -> EndpointOut:
    """Stop calling an endpoint (its delivery log stays readable to nobody but the audit)."""
    endpoint = load(session, caller=caller, endpoint_id=endpoint_id, lock=True)
    endpoint.deleted_at = now
    session.add(endpoint)
    session.flush()
    audit.record(
        session,
        aggregate=("supplier", endpoint.supplier_id),
        actor=caller.label,
        action="webhook.deleted",
        at=now,
        after={"endpoint": endpoint.id},
    )
    return endpoint_out(endpoint)


def email_setting(session: Session, *, caller: Caller) -> EmailSettingOut:
    """The calling supplier's e-mail choice (each event at once unless it chose otherwise)."""
    supplier = current_supplier(session, caller)
    row = session.get(NotificationSetting, supplier.id)
    return EmailSettingOut(email=row.email if row else "immediate", contact_email=supplier.contact_email)


def set_email(session: Session, *, caller: Caller, data: EmailSettingIn, now: datetime) -> EmailSettingOut:
    """Choose each event at once, a daily digest, or no e-mail."""
    supplier = current_supplier(session, caller)
    row = session.get(NotificationSetting, supplier.id, with_for_update=True)
    if row is None:
        row = NotificationSetting(supplier_id=supplier.id, email=data.email, updated_at=now)
    row.email, row.updated_at = data.email, now
    session.add(row)
    session.flush()
    audit.record(
        session,
        aggregate=("supplier", supplier.id),
        actor=caller.label,
        action="notifications.email_set",
        at=now,
        after={"email": data.email},
    )
    return EmailSettingOut(email=row.email, contact_email=supplier.contact_email)


def reseal_all(session: Session, *, settings: Settings, actor: str, now: datetime) -> int:
    """Seal every endpoint's secrets under the current sealing key (a key rotation); returns the count."""
    moved = 0
    rows = session.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id)).with_for_update()).all()
    for endpoint in rows:
        secret = secrets.reseal(settings, endpoint.secret)
        previous = secrets.reseal(settings, endpoint.previous_secret) if endpoint.previous_secret else None
        if secret is None and previous is None:
            continue
        endpoint.secret = secret or endpoint.secret
        endpoint.previous_secret = previous or endpoint.previous_secret
        session.add(endpoint)
        audit.record(
            session,
            aggregate=("supplier", endpoint.supplier_id),
            actor=actor,
            action="webhook.secret_resealed",
            at=now,
            after={"endpoint": endpoint.id},
        )
        moved += 1
    return moved
