"""HTTP surface of the open data: OCDS releases, records, packages by cursor and by month, the feed."""

import hashlib
import json
import re
from datetime import UTC
from email.utils import format_datetime
from pathlib import Path
from typing import Annotated

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from minicompetition.publication import packages
from minicompetition.publication.packages import Package
from minicompetition.publication.schemas import FeedPage, MonthOut
from procurement.core import outbox
from procurement.core.errors import InvalidInput, NotFound
from procurement.core.http import AppSettings, DbSession

OCDS_JSON = "application/json"
POLICY = Path(__file__).parent / "policy.md"
After = Annotated[str | None, QueryParameter(description="The `next` cursor of the previous page.")]
Limit = Annotated[int, QueryParameter(ge=1, le=1000)]


# Every package answer carries an ETag: a client that sends it back in If-None-Match gets 304.
NOT_MODIFIED = {304: ResponseSpec(None, description="Not modified (If-None-Match matched the ETag).")}


def _respond(request: Request, package: Package, *, max_age: int = 60) -> Response[bytes]:
    """JSON bytes with a strong ETag and Last-Modified; 304 when the client already holds them."""
    content = json.dumps(package.body, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(content).hexdigest()[:40] + '"'
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(package.last_modified.astimezone(UTC), usegmt=True),
        "Cache-Control": f"public, max-age={max_age}",
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=content, media_type=OCDS_JSON, headers=headers)


class OpenDataController(Controller):
    """Open data (OCDS 1.1) and the public change feed; no token needed."""

    tags = ["open data"]

    @get("/feed", sync_to_thread=True, summary="Public changes in commit order after a cursor")
    def feed(
        self, db_session: DbSession, settings: AppSettings, after: After = None, limit: Limit = 100
    ) -> FeedPage:
        return packages.feed(db_session, settings, after=outbox.Cursor.parse(after), limit=limit)

    @get(
        "/ocds/packages",
        sync_to_thread=True,
        summary="A release package of the releases after a cursor",
        responses={
            204: ResponseSpec(None, description="No release after the cursor; keep the X-Next-Cursor value."),
            **NOT_MODIFIED,
        },
    )
    def releases_after(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        after: After = None,
        limit: Limit = 100,
    ) -> Response[bytes]:
        cursor = outbox.Cursor.parse(after)
        rows = packages.releases_after(db_session, cursor, limit=limit)
        if not rows:
            return Response(content=b"", status_code=204, headers={"X-Next-Cursor": str(cursor)})
        nxt = str(outbox.Cursor(rows[-1].txid, rows[-1].event))
        uri = f"{settings.public_base_url}/ocds/packages?after={cursor}&limit={limit}"
        response = _respond(request, packages.release_package(rows, settings, uri=uri))
        response.headers["X-Next-Cursor"] = nxt
        response.headers["Link"] = (
            f'<{settings.public_base_url}/ocds/packages?after={nxt}&limit={limit}>; rel="next"'
        )
        return response

    @get(
        "/ocds/releases",
        sync_to_thread=True,
        summary="A release package of one contracting process",
        responses=NOT_MODIFIED,
    )
    def releases_of(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        ocid: Annotated[str, QueryParameter(description="The contracting process's OCID.")],
    ) -> Response[bytes]:
        uri = f"{settings.public_base_url}/ocds/releases?ocid={ocid}"
        return _respond(
            request, packages.release_package(packages.releases_of(db_session, ocid), settings, uri=uri)
        )

    @get(
        "/ocds/releases/{release_id:str}",
        sync_to_thread=True,
        summary="One release, in a release package",
        responses=NOT_MODIFIED,
    )
    def release(
        self, request: Request, db_session: DbSession, settings: AppSettings, release_id: FromPath[str]
    ) -> Response[bytes]:
        uri = f"{settings.public_base_url}/ocds/releases/{release_id}"
        # A release never changes, so it may be cached for a day.
        found = packages.release(db_session, release_id)
        return _respond(request, packages.release_package(found, settings, uri=uri), max_age=86400)

    @get(
        "/ocds/records/{ocid:str}",
        sync_to_thread=True,
        summary="The compiled record of a contracting process",
        responses=NOT_MODIFIED,
    )
    def record(
        self, request: Request, db_session: DbSession, settings: AppSettings, ocid: FromPath[str]
    ) -> Response[bytes]:
        uri = f"{settings.public_base_url}/ocds/records/{ocid}"
        return _respond(
            request, packages.record_package(packages.releases_of(db_session, ocid), settings, uri=uri)
        )

    @get("/ocds/bulk", sync_to_thread=True, summary="The monthly bulk release packages")
    def bulk_index(self, db_session: DbSession, settings: AppSettings) -> list[MonthOut]:
        return packages.months(db_session, settings)

    @get(
        "/ocds/bulk/{month:str}",
        sync_to_thread=True,
        summary="Every release dated in one month (Helsinki)",
        responses=NOT_MODIFIED,
    )
    def bulk(
        self, request: Request, db_session: DbSession, settings: AppSettings, month: FromPath[str]
    ) -> Response[bytes]:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise InvalidInput("A month is written YYYY-MM.", field="month")
        rows = packages.month(db_session, month)
        if not rows:
            raise NotFound(f"No release is dated in {month}.")
        uri = f"{settings.public_base_url}/ocds/bulk/{month}"
        return _respond(request, packages.release_package(rows, settings, uri=uri))

    @get(
        "/ocds/policy",
        sync_to_thread=True,
        media_type="text/markdown",
        summary="The publication policy of the open data",
    )
    def policy(self) -> str:
        return POLICY.read_text()
