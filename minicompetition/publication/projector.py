"""The release projector: each public outbox event, in commit order, becomes one stored OCDS release."""

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from minicompetition.award.models import Contract
from minicompetition.publication import ocds
from minicompetition.publication.competition_release import competition_release
from minicompetition.publication.facts import competition_facts, dps_facts
from minicompetition.publication.models import OcdsRelease
from minicompetition.publication.releases import Head, dps_release
from procurement.core import outbox
from procurement.core.clock import to_helsinki
from procurement.core.event_kinds import KINDS
from registry.models import Admission, Application

CONSUMER = "publication"


def project(session: Session, *, prefix: str, now: datetime, limit: int = 200) -> int:
    """Build the releases of the next public events; the position moves in the same transaction."""
    after = outbox.position(session, CONSUMER, lock=True)  # one projector at a time
    # Private events are passed over too, so the position (and `dpr outbox status`) shows the true backlog.
    events = outbox.read_after(session, after, limit=limit)
    for event in (e for e in events if e.public):
        release = build(session, event, prefix=prefix)
        if release is not None:
            _store(session, event, release, now=now)
    if events:
        outbox.advance(session, CONSUMER, events[-1].cursor)
    return len(events)


def build(session: Session, event: outbox.Event, *, prefix: str) -> dict[str, Any] | None:
    """The release of one public event, or None when its process shows nothing (never published)."""
    tag = KINDS[event.kind].tag
    assert tag is not None  # noqa: S101 (only public events are projected)
    process, process_id = _process_of(session, event)
    if process_id is None:
        return None
    head = Head(ocid=ocds.ocid(prefix, process_id), release_id=str(event.event_id), date=event.at, tags=[tag])
    if process == "dps":
        dps = dps_facts(session, process_id, event)
        return None if dps is None else dps_release(head, dps)
    competition = competition_facts(session, process_id, event, prefix=prefix)
    return None if competition is None else competition_release(head, competition)


def _process_of(session: Session, event: outbox.Event) -> tuple[str, uuid.UUID | None]:
    """The contracting process an event belongs to: the DPS's, or one competition's."""
    subject = uuid.UUID(event.subject_id)
    if event.subject_type == "dps":
        return "dps", subject
    if event.subject_type == "application":
        application = session.get(Application, subject)
        return "dps", None if application is None else application.dps_id
    if event.subject_type == "admission":
        admission = session.get(Admission, subject)
        return "dps", None if admission is None else admission.dps_id
    if event.subject_type == "contract":
        contract = session.get(Contract, subject)
        return "competition", None if contract is None else contract.competition_id
    return "competition", subject


def _store(session: Session, event: outbox.Event, release: dict[str, Any], *, now: datetime) -> None:
    # Idempotent: a projector that crashed after writing but before moving its position writes nothing twice.
    session.execute(
        insert(OcdsRelease)
        .values(
            release_id=release["id"],
            ocid=release["ocid"],
            event_id=event.event_id,
            kind=event.kind,
            txid=event.txid,
            event=event.id,
            date=event.at,
            tags=release["tag"],
            month=to_helsinki(event.at).strftime("%Y-%m"),
            published_at=now,
            body=json.loads(json.dumps(release)),
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
