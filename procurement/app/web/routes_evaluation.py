"""After the deadline: open bids, score quality, evaluate, see the allocation, award and conclude."""

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from minicompetition.award import evaluation, results
from minicompetition.award import price_to_win as pricing
from minicompetition.award.schemas import AwardIn, QualityScoresIn
from minicompetition.remedies import appeals, issuing
from minicompetition.tender import competitions, opening
from procurement.app.web.context import WebPage
from procurement.app.web.forms import FieldErrors, Form, text, typed, uuid_field
from procurement.core.errors import InvalidInput
from procurement.core.throttle import PRICE_TO_WIN

Id = FromPath[uuid.UUID]


class EvaluationPages(Controller):
    """The buying officer's steps from the opening to the contracts."""

    include_in_schema = False

    @post("/competitions/{competition_id:uuid}/open", sync_to_thread=True)
    def open_bids(self, web: WebPage, competition_id: Id, data: Form) -> Any:
        caller = web.signed_in("officer")
        asked = web.confirm(
            data,
            title=web.t("Open the bids?"),
            facts=[
                web.t("Every bid is decrypted and checked against its receipt; opening is recorded."),
                web.t("Suppliers' standing is checked as of the tender deadline."),
            ],
            button=web.t("Open the bids"),
            back=f"/ui/competitions/{competition_id}",
        )
        if asked is not None:
            return asked
        opened = opening.open_bids(
            web.db, caller=caller, competition_id=competition_id, now=web.now, settings=web.settings
        )
        if opened.state == "unsuccessful":  # no admissible bid: nothing to score, the page says why
            return web.back(f"/ui/competitions/{competition_id}", done="unsuccessful")
        return web.back(f"/ui/competitions/{competition_id}/bids", done="opened")

    @get("/competitions/{competition_id:uuid}/bids", sync_to_thread=True)
    def bids(self, web: WebPage, competition_id: Id) -> Template:
        caller = web.signed_in("officer")
        competition = competitions.get(web.db, caller=caller, competition_id=competition_id, now=web.now)
        opened = opening.list_bids(web.db, caller=caller, competition_id=competition_id, now=web.now)
        table = evaluation.quality_table(web.db, caller=caller, competition_id=competition_id)
        return web.page("bids.html", competition=competition, bids=opened, table=table)

    @post("/competitions/{competition_id:uuid}/quality-scores", sync_to_thread=True)
    def scores(self, web: WebPage, competition_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        entered = []
        for name in data:
            if not name.startswith("score|") or not text(data, name):
                continue
            parts = name.split("|")
            if len(parts) != 4:
                raise InvalidInput("The form names no line and criterion for this score.", field=name)
            _, bid_id, lot_id, criterion = parts
            try:
                score = int(text(data, name))
            except ValueError as exc:
                raise InvalidInput("A quality score is a whole number.", field=name) from exc
            entered.append({"bid_id": bid_id, "lot_id": lot_id, "criterion": criterion, "score": score})
        if not entered:
            raise InvalidInput("Enter at least one score.", field="scores")
        evaluation.enter_scores(
            web.db,
            caller=caller,
            competition_id=competition_id,
            data=typed(QualityScoresIn, {"scores": entered}),
            now=web.now,
        )
        return web.back(f"/ui/competitions/{competition_id}/bids", done="scored")

    @post("/competitions/{competition_id:uuid}/evaluate", sync_to_thread=True)
    def evaluate(self, web: WebPage, competition_id: Id, state: State) -> Redirect:
        caller = web.signed_in("officer")
        run = evaluation.run_evaluation(
            web.db,
            caller=caller,
            competition_id=competition_id,
            now=web.now,
            settings=web.settings,
            track_record=state.get("track_record"),
        )
        return web.back(f"/ui/runs/{run.id}", done="evaluated")

    @get("/runs/{run_id:uuid}", sync_to_thread=True)
    def run(self, web: WebPage, run_id: Id) -> Template:
        caller = web.signed_in("officer")
        found = results.get_run(web.db, caller=caller, run_id=run_id)
        competition = competitions.get(
            web.db, caller=caller, competition_id=found.competition_id, now=web.now
        )
        lots = {lot.lot_id: i for i, lot in enumerate(found.lots)}
        ranked = sorted(
            found.lines,
            key=lambda l: (lots.get(l.lot_id, 0), l.rank is None, l.rank or 0, l.supplier_name),  # noqa: E741
        )
        return web.page("run.html", run=found, competition=competition, lines=ranked)

    @post("/runs/{run_id:uuid}/price-to-win", sync_to_thread=True)
    def price_to_win(self, web: WebPage, run_id: Id, data: Form) -> Redirect | Template:
        caller = web.signed_in("officer")
        web.state.price_to_win_throttle.take(str(caller.id), what=PRICE_TO_WIN)
        errors = FieldErrors()
        bid_id, lot_id = uuid_field(data, "bid_id", errors), uuid_field(data, "lot_id", errors)
        if bid_id is None or lot_id is None:
            raise InvalidInput("Choose a line of the run.", field=next(iter(errors)))
        found = pricing.line_price_to_win(
            web.db,
            caller=caller,
            run_id=run_id,
            bid_id=bid_id,
            lot_id=lot_id,
            now=web.now,
            settings=web.settings,
        )
        if web.request.headers.get("hx-request") == "true":
            return web.page("_price_to_win.html", ptw=found)  # htmx swaps just the table cell
        return web.back(f"/ui/runs/{run_id}#lines")

    @post("/runs/{run_id:uuid}/award", sync_to_thread=True)
    def issue_award(self, web: WebPage, run_id: Id, data: Form) -> Any:
        caller = web.signed_in("officer")
        found = results.get_run(web.db, caller=caller, run_id=run_id)
        overridden = _overrides(data)
        facts = [web.t("The decision is delivered to every bidder and published; the standstill starts.")]
        facts += [
            web.t("Lot %(lot)s is overridden: %(reason)s")
            % {"lot": _lot(found, o["lot_id"]), "reason": o["reason"]}
            for o in overridden
        ]
        asked = web.confirm(
            data,
            title=web.t("Issue the award decision on run %(n)s?") % {"n": found.seq},
            facts=facts,
            button=web.t("Issue the award decision"),
            back=f"/ui/runs/{run_id}",
        )
        if asked is not None:
            return asked
        decision = typed(
            AwardIn,
            {
                "evaluation_run_id": str(run_id),
                "overrides": overridden,
                "appeal_instructions": text(data, "appeal_instructions") or None,
            },
        )
        issuing.issue(
            web.db,
            caller=caller,
            competition_id=found.competition_id,
            data=decision,
            now=web.now,
            settings=web.settings,
        )
        return web.back(f"/ui/competitions/{found.competition_id}", done="awarded")

    @post("/competitions/{competition_id:uuid}/contracts", sync_to_thread=True)
    def conclude(self, web: WebPage, competition_id: Id, data: Form) -> Any:
        caller = web.signed_in("officer")
        asked = web.confirm(
            data,
            title=web.t("Conclude the contracts?"),
            facts=[
                web.t("One contract per winning supplier, with its lots, volumes, prices and payment model.")
            ],
            button=web.t("Conclude the contracts"),
            back=f"/ui/competitions/{competition_id}",
        )
        if asked is not None:
            return asked
        appeals.conclude(web.db, caller=caller, competition_id=competition_id, now=web.now)
        return web.back(f"/ui/competitions/{competition_id}#contracts", done="concluded")


def _lot(run: Any, lot_id: str) -> str:
    return next((lot.lot for lot in run.lots if str(lot.lot_id) == lot_id), lot_id)


def _overrides(form: dict[str, Any]) -> list[dict[str, Any]]:
    """Lots whose override reason is filled in, with the volumes typed per bid (blank or 0 = none)."""
    out = []
    for name in form:
        if not name.startswith("override|") or not text(form, name):
            continue
        lot_id = name.split("|")[1]
        placements = []
        for key in form:
            if key.startswith(f"volume|{lot_id}|") and text(form, key) not in ("", "0"):
                try:
                    volume = int(text(form, key))
                except ValueError as exc:
                    raise InvalidInput("A volume is a whole number of participants.", field=key) from exc
                placements.append({"bid_id": key.split("|")[2], "volume": volume})
        out.append({"lot_id": lot_id, "reason": text(form, name), "allocations": placements})
    return out
