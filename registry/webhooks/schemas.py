"""API shapes of webhook endpoints and of the e-mail setting."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

Url = Annotated[str, msgspec.Meta(min_length=8, max_length=2000, pattern=r"^https?://\S+$")]
EventType = Annotated[str, msgspec.Meta(pattern=r"^[a-z_]+\.[a-z_]+$", max_length=60)]


class EndpointIn(msgspec.Struct, forbid_unknown_fields=True):
    """A URL of the supplier's system and the event types it wants."""

    url: Url
    event_types: Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=40)]
    description: Annotated[str, msgspec.Meta(max_length=200)] = ""


class EndpointOut(msgspec.Struct):
    """A registered endpoint (its secret is never shown again)."""

    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str
    created_at: datetime
    rotated_at: datetime | None
    previous_secret_valid_until: datetime | None


class EndpointSecret(msgspec.Struct):
    """An endpoint with its signing secret, shown once: at creation and at each rotation."""

    endpoint: EndpointOut
    secret: str


class EmailSettingIn(msgspec.Struct, forbid_unknown_fields=True):
    """How the supplier wants e-mail at its contact address."""

    email: Literal["immediate", "daily", "off"]


class EmailSettingOut(msgspec.Struct):
    """The supplier's e-mail choice and the address it goes to."""

    email: str
    contact_email: str
