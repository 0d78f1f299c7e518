"""Release and record packages, the monthly bulk files and the change feed, read from stored releases."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import ocdsmerge
from sqlmodel import Session, col, func, select

from minicompetition.publication import ocds
from minicompetition.publication.models import OcdsRelease
from minicompetition.publication.schemas import FeedItem, FeedPage, MonthOut
from procurement.core import outbox
from procurement.core.errors import NotFound
from procurement.core.settings import Settings


@dataclass(frozen=True)
class Package:
    """A package body and when its newest release was published (Last-Modified)."""

    body: dict[str, Any]
    last_modified: datetime


@cache
def _merger() -> ocdsmerge.Merger:
    return ocdsmerge.Merger(ocds.release_schema())


def policy_url(settings: Settings) -> str:
    """Where the publication policy is: configured, or the one this service serves."""
    return settings.ocds_publication_policy_url or f"{settings.public_base_url}/ocds/policy"


def _meta(settings: Settings, *, uri: str, published: datetime) -> dict[str, Any]:
    return {
        "uri": uri,
        "version": ocds.VERSION,
        "extensions": list(ocds.EXTENSIONS.values()),
        "publishedDate": ocds.moment(published),
        "publisher": {"name": settings.ocds_publisher_name},
        "license": settings.ocds_license_url,
        "publicationPolicy": policy_url(settings),
    }


def release_package(rows: list[OcdsRelease], settings: Settings, *, uri: str) -> Package:
    """A release package of stored releases, in commit order; refused empty (OCDS needs one release)."""
    if not rows:
        raise NotFound("No release matches.")
    published = max(r.published_at for r in rows)
    body = _meta(settings, uri=uri, published=published) | {"releases": [r.body for r in rows]}
    return Package(body, published)


def record_package(rows: list[OcdsRelease], settings: Settings, *, uri: str) -> Package:
    """The process's record: its releases linked, and the compiled release merged by ocdsmerge."""
    if not rows:
        raise NotFound("No contracting process has that OCID.")
    base = settings.public_base_url
    published = max(r.published_at for r in rows)
    record = {
        "ocid": rows[0].ocid,
        "releases": [
            {"url": f"{base}/ocds/releases/{r.release_id}", "date": r.body["date"], "tag": r.body["tag"]}
            for r in rows
        ],
        "compiledRelease": _merger().create_compiled_release([r.body for r in rows]),
    }
    body = _meta(settings, uri=uri, published=published) | {
        "packages": [f"{base}/ocds/releases?ocid={rows[0].ocid}"],
        "records": [record],
    }
    return Package(body, published)


def _ordered(query: Any) -> Any:
    return query.order_by(col(OcdsRelease.txid), col(OcdsRelease.event))


def releases_of(session: Session, ocid: str) -> list[OcdsRelease]:
    """Every release of one contracting process, in commit order."""
    return list(session.exec(_ordered(select(OcdsRelease).where(OcdsRelease.ocid == ocid))))


def release(session: Session, release_id: str) -> list[OcdsRelease]:
    """One release by its id (the id of the event it publishes)."""
    return list(session.exec(select(OcdsRelease).where(OcdsRelease.release_id == release_id)))


def releases_after(session: Session, after: outbox.Cursor, *, limit: int) -> list[OcdsRelease]:
    """Releases after a cursor, in commit order (the projector writes them in that order, one at a time)."""
    query = select(OcdsRelease).where(
        func.row(OcdsRelease.txid, OcdsRelease.event) > func.row(after.txid, after.event)
    )
    return list(session.exec(_ordered(query).limit(limit)))


def month(session: Session, value: str) -> list[OcdsRelease]:
    """The releases dated in one Helsinki calendar month (YYYY-MM)."""
    return list(session.exec(_ordered(select(OcdsRelease).where(OcdsRelease.month == value))))


def months(session: Session, settings: Settings) -> list[MonthOut]:
    """Every month that has releases, with its count, newest publication and bulk URL."""
    rows = session.exec(
        select(OcdsRelease.month, func.count(), func.max(OcdsRelease.published_at))
        .group_by(col(OcdsRelease.month))
        .order_by(col(OcdsRelease.month))
    ).all()
    return [
        MonthOut(
            month=m, releases=int(n), last_modified=last, url=f"{settings.public_base_url}/ocds/bulk/{m}"
        )
        for m, n, last in rows
    ]


def feed(session: Session, settings: Settings, *, after: outbox.Cursor, limit: int) -> FeedPage:
    """The public change feed: what changed, when, and its release, in commit order after the cursor."""
    rows = releases_after(session, after, limit=limit)
    base = settings.public_base_url
    items = [
        FeedItem(
            cursor=str(outbox.Cursor(r.txid, r.event)),
            id=r.event_id,
            type=r.kind,
            at=r.date,
            ocid=r.ocid,
            tags=list(r.tags),
            release_url=f"{base}/ocds/releases/{r.release_id}",
            record_url=f"{base}/ocds/records/{r.ocid}",
        )
        for r in rows
    ]
    next_cursor = items[-1].cursor if items else str(after)
    return FeedPage(items=items, next=next_cursor)
