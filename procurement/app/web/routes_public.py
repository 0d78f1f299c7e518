"""Public pages without sign-in: the register, published competitions, award decisions, flow-through."""

import uuid
from typing import Any

from litestar import Controller, get, route
from litestar.params import FromPath
from litestar.response import Template

from minicompetition.award import decisions as award
from minicompetition.tender import competitions
from outcomes.flowthrough import public
from procurement.app.web.context import WebPage
from procurement.app.web.listing import WHOLE, walk
from procurement.core.errors import Conflict, InvalidInput, NotFound
from procurement.ring.dps import list_dps
from registry import admissions

Id = FromPath[uuid.UUID]
AWARDED = ("awarded", "concluded", "contracted")


class PublicPages(Controller):
    """What anyone may read: open data as pages."""

    include_in_schema = False

    @get("/public", sync_to_thread=True)
    def index(self, web: WebPage) -> Template:
        query = dict(web.request.query_params)
        # Two walks, newest first, each link keeping the other's place: those open for bids, and the rest.
        open_now = walk(
            lambda p: competitions.list_competitions(
                web.db, caller=None, now=web.now, state="published", page=p
            ),
            query=query,
            path="/ui/public",
            keep=("after",),
            param="open",
        )
        rest = walk(
            lambda p: competitions.list_competitions(web.db, caller=None, now=web.now, page=p),
            query=query,
            path="/ui/public",
            keep=("open",),
            test=lambda c: c.state not in ("draft", "published"),
        )
        return web.page(
            "public_index.html",
            dps_list=[d for d in list_dps(web.db, now=web.now, page=WHOLE).items if d.state != "draft"],
            open_now=open_now.rows,
            open_page=open_now,
            decided=[c for c in rest.rows if c.state in AWARDED],
            others=[c for c in rest.rows if c.state not in AWARDED],
            rest_page=rest,
        )

    @get("/public/dps/{dps_id:uuid}", sync_to_thread=True)
    def register(self, web: WebPage, dps_id: Id) -> Template:
        register = admissions.public_register(web.db, dps_id=dps_id, now=web.now)
        try:
            flow = public.public_flow_through(
                web.db, dps_id=dps_id, by=["supplier"], cutoff=None, now=web.now
            )
        except (Conflict, InvalidInput, NotFound):
            flow = None  # no closed month yet: nothing public to show
        return web.page("public_register.html", register=register, flow=flow)

    @get("/public/competitions/{competition_id:uuid}", sync_to_thread=True)
    def competition(self, web: WebPage, competition_id: Id) -> Template:
        found = competitions.get(web.db, caller=None, competition_id=competition_id, now=web.now)
        decision = (
            award.get_award(web.db, caller=None, competition_id=competition_id, now=web.now)
            if found.state in AWARDED
            else None
        )
        return web.page("public_competition.html", competition=found, award=decision)


@route("/{rest:path}", http_method=["GET", "POST"], sync_to_thread=True, include_in_schema=False)
def unknown_page(web: WebPage, rest: FromPath[str]) -> Any:
    """Any other /ui address: a page that says so, with the navigation, never JSON."""
    raise NotFound("No page has this address.")
