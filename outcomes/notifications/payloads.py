"""What a notification says: thin events (ids and links), never personal data or sealed content.

A supplier's system fetches the details it may see with its own token; the payload only says what
changed and where to look.
"""

import json
from typing import Any

from procurement.core import outbox
from procurement.core.event_kinds import KINDS

# The API resource a subject is read at (with the supplier's token).
_RESOURCE = {
    "competition": "/inbox/{id}",
    "contract": "/contracts/{id}",
    "referral": "/referrals/{id}",
    "admission": "/suppliers/me",
    "application": "/suppliers/me",
    "payment_period": "/payment-lines?period_id={id}",
    "outcome_event": "/referrals",
    "webhook_endpoint": "/suppliers/me/webhooks",
}


def link(base_url: str, event: outbox.Event) -> str:
    """Where the supplier reads what the event is about."""
    return base_url + _RESOURCE.get(event.subject_type, "/").format(id=event.subject_id)


def body(event: outbox.Event, *, base_url: str) -> bytes:
    """The webhook body: the event id (stable across retries), its type, when, and what it is about."""
    data: dict[str, Any] = {event.subject_type + "_id": event.subject_id, "url": link(base_url, event)}
    if "days" in event.data:
        data["days_left"] = event.data["days"]
    if "tender_deadline" in event.data and event.kind == "competition.deadline_reminder":
        data["tender_deadline"] = event.data["tender_deadline"]
    payload = {"id": str(event.event_id), "type": event.kind, "timestamp": event.at.isoformat(), "data": data}
    return json.dumps(payload, separators=(",", ":")).encode()


def email_text(event: outbox.Event, *, base_url: str, supplier_name: str) -> tuple[str, str]:
    """The subject and body of one event's e-mail, in Finnish and English."""
    kind = KINDS[event.kind]
    subject = f"{kind.title_fi} / {kind.title_en}"
    url = link(base_url, event)
    lines = [
        f"Hei {supplier_name},",
        "",
        f"{kind.title_fi}: {url}",
        f"{kind.title_en}: {url}",
        "",
        f"Tapahtuma / event {event.event_id} ({event.kind}), {event.at.isoformat()}",
        "",
        "Tämä on automaattinen ilmoitus. Valitse sähköpostit kohdassa /suppliers/me/notifications.",
        "This is an automatic notice. Choose your e-mail at /suppliers/me/notifications.",
    ]
    return subject, "\n".join(lines)
