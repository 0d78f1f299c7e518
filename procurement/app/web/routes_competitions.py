"""Competition pages: list, create and edit a draft (messages beside the fields), publish, Q&A."""

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from minicompetition.award import contracts, evaluation
from minicompetition.award import decisions as award
from minicompetition.tender import clarifications, competitions
from minicompetition.tender.schemas import AnswerIn, CompetitionIn, ReasonIn
from outcomes.economics.forecasts import store_at_publication
from procurement.app.web import competition_form
from procurement.app.web.context import WebPage
from procurement.app.web.forms import FieldErrors, Form, add_refusal, text, typed
from procurement.app.web.session import CSRF_FIELD
from procurement.core.errors import InvalidInput, NotFound
from procurement.core.paging import MAX_LIMIT, PageRequest
from procurement.ring.dps import list_dps

ALL = PageRequest(limit=MAX_LIMIT)  # a ring has a few DPSs; one page holds them all


Id = FromPath[uuid.UUID]


class CompetitionPages(Controller):
    """An officer's competitions, from draft to published and answered."""

    include_in_schema = False

    @get("/competitions", sync_to_thread=True)
    def index(self, web: WebPage) -> Template:
        caller = web.signed_in("officer")
        mine = competitions.list_competitions(
            web.db, caller=caller, now=web.now, authority_id=caller.authority_id
        ).items
        return web.page("competitions.html", competitions=mine)

    @get("/competitions/new", sync_to_thread=True)
    def new(self, web: WebPage) -> Template:
        web.signed_in("officer")
        return self._form(web, values={}, errors=FieldErrors(), competition_id=None)

    @post("/competitions", sync_to_thread=True)
    def create(self, web: WebPage, data: Form) -> Any:
        caller = web.signed_in("officer")
        terms, errors = competition_form.parse(data)
        created = self._apply(
            web, terms, errors, lambda t: competitions.create(web.db, caller=caller, data=t, now=web.now)
        )
        if created is None:
            return self._form(web, values=_values(data), errors=errors, competition_id=None, status=422)
        return web.back(f"/ui/competitions/{created.id}")

    @get("/competitions/{competition_id:uuid}", sync_to_thread=True)
    def detail(self, web: WebPage, competition_id: Id) -> Template:
        caller = web.signed_in("officer")
        competition = competitions.get(web.db, caller=caller, competition_id=competition_id, now=web.now)
        if competition.authority_id != caller.authority_id:
            # Other authorities' competitions are public, but their pages here are for the buyer only.
            raise NotFound("No competition of your authority has that id.")
        questions = (
            clarifications.questions(web.db, caller=caller, competition_id=competition_id)
            if competition.state != "draft"
            else []
        )
        runs = (
            evaluation.list_runs(web.db, caller=caller, competition_id=competition_id).items
            if competition.opened_at
            else []
        )
        decision = _award_or_none(web, competition_id, competition.state)
        concluded = (
            contracts.list_contracts(web.db, caller=caller, competition_id=competition_id).items
            if decision
            else []
        )
        return web.page(
            "competition.html",
            competition=competition,
            questions=questions,
            runs=runs,
            award=decision,
            contracts=concluded,
        )

    @get("/competitions/{competition_id:uuid}/edit", sync_to_thread=True)
    def edit_form(self, web: WebPage, competition_id: Id) -> Template:
        caller = web.signed_in("officer")
        competition = competitions.get(web.db, caller=caller, competition_id=competition_id, now=web.now)
        values = competition_form.values_of(competition, competition.lots)
        return self._form(web, values=values, errors=FieldErrors(), competition_id=competition_id)

    @post("/competitions/{competition_id:uuid}/edit", sync_to_thread=True)
    def edit(self, web: WebPage, competition_id: Id, data: Form) -> Any:
        caller = web.signed_in("officer")
        terms, errors = competition_form.parse(data)
        edited = self._apply(
            web,
            terms,
            errors,
            lambda t: competitions.edit(
                web.db, caller=caller, competition_id=competition_id, data=t, now=web.now
            ),
        )
        if edited is None:
            return self._form(
                web, values=_values(data), errors=errors, competition_id=competition_id, status=422
            )
        return web.back(f"/ui/competitions/{competition_id}")

    @post("/competitions/{competition_id:uuid}/publish", sync_to_thread=True)
    def publish(self, web: WebPage, competition_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        competitions.publish(
            web.db,
            caller=caller,
            competition_id=competition_id,
            now=web.now,
            settings=web.settings,
            forecast=store_at_publication,
            confirm_few_invitees=text(data, "confirm_few_invitees") == "1",
        )
        return web.back(f"/ui/competitions/{competition_id}")

    @post("/competitions/{competition_id:uuid}/cancel", sync_to_thread=True)
    def cancel(self, web: WebPage, competition_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        competitions.cancel(
            web.db,
            caller=caller,
            competition_id=competition_id,
            reason=typed(ReasonIn, {"reason": text(data, "reason")}).reason,
            now=web.now,
        )
        return web.back(f"/ui/competitions/{competition_id}")

    @post("/competitions/{competition_id:uuid}/questions/{question_id:uuid}/answer", sync_to_thread=True)
    def answer(self, web: WebPage, competition_id: Id, question_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        clarifications.answer(
            web.db,
            caller=caller,
            competition_id=competition_id,
            question_id=question_id,
            text=typed(AnswerIn, {"answer": text(data, "answer")}).answer,
            now=web.now,
        )
        return web.back(f"/ui/competitions/{competition_id}#questions")

    @staticmethod
    def _apply(web: WebPage, terms: CompetitionIn | None, errors: FieldErrors, action: Any) -> Any:
        """Run the service; a rule it refuses becomes a message beside the field, and nothing is kept."""
        if terms is None:
            return None
        try:
            return action(terms)
        except InvalidInput as exc:
            web.db.rollback()
            add_refusal(errors, exc, field="title")
            return None

    @staticmethod
    def _form(
        web: WebPage,
        *,
        values: dict[str, str],
        errors: FieldErrors,
        competition_id: uuid.UUID | None,
        status: int = 200,
    ) -> Template:
        return web.page(
            "competition_form.html",
            status=status,
            values=values,
            errors=errors,
            competition_id=competition_id,
            dps_list=[d for d in list_dps(web.db, now=web.now, page=ALL).items if d.state != "draft"],
            lot_rows=range(competition_form.LOT_ROWS),
            criterion_rows=range(competition_form.CRITERION_ROWS),
            target_groups=competition_form.TARGET_GROUPS,
        )


def _values(form: dict[str, Any]) -> dict[str, str]:
    return {k: text(form, k) for k in form if k != CSRF_FIELD}


def _award_or_none(web: WebPage, competition_id: uuid.UUID, state: str) -> Any:
    if state not in ("awarded", "concluded", "contracted"):
        return None
    return award.get_award(web.db, caller=web.caller, competition_id=competition_id, now=web.now)
