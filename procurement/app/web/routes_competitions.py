"""Competition pages: list, create and edit a draft (every message at once), publish, amend, Q&A."""

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from minicompetition.award import contracts, evaluation
from minicompetition.award import decisions as award
from minicompetition.tender import amendments, clarifications, competitions
from minicompetition.tender.models import COMPETITION_STATES
from minicompetition.tender.schemas import AmendmentIn, AnswerIn, CompetitionIn, ReasonIn
from outcomes.economics.forecasts import store_at_publication
from outcomes.payments.model import DEFAULT_SHARES_BP
from procurement.app.web import competition_form, forms
from procurement.app.web.context import WebPage
from procurement.app.web.forms import FieldErrors, Form, add_refusal, text, typed
from procurement.app.web.labels import CATEGORIES
from procurement.app.web.listing import WHOLE, walk
from procurement.app.web.messages import N_
from procurement.app.web.session import CSRF_FIELD
from procurement.core.clock import helsinki_today
from procurement.core.errors import InvalidInput, NotFound
from procurement.ring.dps import list_dps
from registry.admissions import eligible_suppliers

Id = FromPath[uuid.UUID]
COMPONENTS = ("start", "outcome_a", "outcome_b", "outcome_c")


class CompetitionPages(Controller):
    """An officer's competitions, from draft to published and answered."""

    include_in_schema = False

    @get("/competitions", sync_to_thread=True)
    def index(self, web: WebPage) -> Template:
        caller = web.signed_in("officer")
        query = dict(web.request.query_params)
        state = query.get("state") if query.get("state") in COMPETITION_STATES else None
        category = query.get("category")
        page = walk(
            lambda p: competitions.list_competitions(
                web.db, caller=caller, now=web.now, state=state, authority_id=caller.authority_id, page=p
            ),
            query=query,
            path="/ui/competitions",
            keep=("state", "category"),
            test=lambda c: not category or c.category == category,
        )
        return web.page(
            "competitions.html", page=page, states=COMPETITION_STATES, categories=tuple(CATEGORIES)
        )

    @get("/competitions/new", sync_to_thread=True)
    def new(self, web: WebPage) -> Template:
        web.signed_in("officer")
        return self._form(
            web,
            values=competition_form.new_values(web.now, min_tender_days=web.settings.min_tender_days),
            errors=FieldErrors(),
            competition_id=None,
        )

    @post("/competitions", sync_to_thread=True)
    def create(self, web: WebPage, data: Form) -> Any:
        caller = web.signed_in("officer")
        if text(data, "action"):
            return self._rows(web, data, competition_id=None)
        terms, errors = competition_form.parse(data, now=web.now)
        created = self._apply(
            web, terms, errors, lambda t: competitions.create(web.db, caller=caller, data=t, now=web.now)
        )
        if created is None:
            return self._form(web, values=_values(data), errors=errors, competition_id=None, status=422)
        return web.back(f"/ui/competitions/{created.id}", done="saved")

    @get("/competitions/{competition_id:uuid}", sync_to_thread=True)
    def detail(self, web: WebPage, competition_id: Id) -> Template:
        caller = web.signed_in("officer")
        competition = competitions.get(web.db, caller=caller, competition_id=competition_id, now=web.now)
        if competition.authority_id != caller.authority_id:
            # Other authorities' competitions are public, but their pages here are for the buyer only.
            raise NotFound("No competition of your authority has that id.")
        draft = competition.state == "draft"
        questions = (
            [] if draft else clarifications.questions(web.db, caller=caller, competition_id=competition_id)
        )
        runs = (
            evaluation.list_runs(web.db, caller=caller, competition_id=competition_id, page=WHOLE).items
            if competition.opened_at
            else []
        )
        decision = _award_or_none(web, competition_id, competition.state)
        concluded = (
            contracts.list_contracts(web.db, caller=caller, competition_id=competition_id, page=WHOLE).items
            if decision
            else []
        )
        invited = (
            []
            if draft
            else competitions.invitations(
                web.db, caller=caller, competition_id=competition_id, page=WHOLE
            ).items
        )
        return web.page(
            "competition.html",
            competition=competition,
            questions=questions,
            unanswered=[q for q in questions if q.answer is None],
            runs=runs,
            award=decision,
            contracts=concluded,
            invited=invited,
            past_deadline=competition.tender_deadline <= web.now,
            standstill_over=decision is not None and decision.standstill_ends_at <= web.now,
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
        if text(data, "action"):
            return self._rows(web, data, competition_id=competition_id)
        terms, errors = competition_form.parse(data, now=web.now)
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
        return web.back(f"/ui/competitions/{competition_id}", done="saved")

    @post("/competitions/{competition_id:uuid}/publish", sync_to_thread=True)
    def publish(self, web: WebPage, competition_id: Id, data: Form) -> Any:
        caller = web.signed_in("officer")
        competition = competitions.get(web.db, caller=caller, competition_id=competition_id, now=web.now)
        invitees = eligible_suppliers(
            web.db, dps_id=competition.dps_id, category_code=competition.category, on=helsinki_today(web.now)
        )
        facts = [
            web.t("%(n)s admitted suppliers of the category are invited now; nobody can be added later.")
            % {"n": len(invitees)},
            web.t("The terms become public; later changes are amendments that every invitee sees."),
        ]
        if len(invitees) < competitions.FEW_INVITEES:
            # Publishing to fewer than three needs the officer's recorded confirmation (SPEC 4.2):
            # this page asks for it, and confirming carries it.
            facts.append(
                web.t(
                    "Fewer than three suppliers can be invited: competition will be weak. "
                    "Publishing confirms this, and your confirmation is recorded."
                )
            )
            data = {**data, "confirm_few_invitees": "1"}
        asked = web.confirm(
            data,
            title=web.t("Publish the competition?"),
            facts=facts,
            button=web.t("Publish and invite"),
            back=f"/ui/competitions/{competition_id}",
        )
        if asked is not None:
            return asked
        competitions.publish(
            web.db,
            caller=caller,
            competition_id=competition_id,
            now=web.now,
            settings=web.settings,
            forecast=store_at_publication,
            confirm_few_invitees=text(data, "confirm_few_invitees") == "1",
        )
        return web.back(f"/ui/competitions/{competition_id}", done="published")

    @post("/competitions/{competition_id:uuid}/cancel", sync_to_thread=True)
    def cancel(self, web: WebPage, competition_id: Id, data: Form) -> Any:
        caller = web.signed_in("officer")
        reason = typed(ReasonIn, {"reason": text(data, "reason")}).reason
        asked = web.confirm(
            data,
            title=web.t("Cancel the competition?"),
            facts=[web.t("The invitees are told the reason; sealed bids are never opened.")],
            button=web.t("Cancel the competition"),
            back=f"/ui/competitions/{competition_id}",
        )
        if asked is not None:
            return asked
        competitions.cancel(web.db, caller=caller, competition_id=competition_id, reason=reason, now=web.now)
        return web.back(f"/ui/competitions/{competition_id}", done="cancelled")

    @post("/competitions/{competition_id:uuid}/amend", sync_to_thread=True)
    def amend(self, web: WebPage, competition_id: Id, data: Form) -> Any:
        caller = web.signed_in("officer")
        errors = FieldErrors()
        changes: dict[str, Any] = {}
        if text(data, "tender_deadline"):
            changes["tender_deadline"] = forms.local_moment(data, "tender_deadline", errors)
        if text(data, "qa_deadline"):
            changes["qa_deadline"] = forms.local_moment(data, "qa_deadline", errors)
        if text(data, "description"):
            changes["description"] = text(data, "description")
        if len(text(data, "reason")) < 3:
            errors["reason"] = N_("Give the reason for the amendment (at least 3 characters).")
        if not changes and not errors:
            errors["tender_deadline"] = N_("An amendment changes at least one term.")
        if not errors:
            try:
                amendments.amend(
                    web.db,
                    caller=caller,
                    competition_id=competition_id,
                    data=typed(AmendmentIn, {"reason": text(data, "reason"), "changes": changes}),
                    now=web.now,
                    settings=web.settings,
                )
                return web.back(f"/ui/competitions/{competition_id}", done="amended")
            except InvalidInput as exc:
                web.db.rollback()
                add_refusal(errors, exc, field="tender_deadline")
        competition = competitions.get(web.db, caller=caller, competition_id=competition_id, now=web.now)
        return web.page(
            "amendment_form.html", status=422, competition=competition, errors=errors, values=_values(data)
        )

    @get("/competitions/{competition_id:uuid}/amend", sync_to_thread=True)
    def amend_form(self, web: WebPage, competition_id: Id) -> Template:
        caller = web.signed_in("officer")
        competition = competitions.get(web.db, caller=caller, competition_id=competition_id, now=web.now)
        return web.page("amendment_form.html", competition=competition, errors=FieldErrors(), values={})

    @post("/competitions/{competition_id:uuid}/questions/{question_id:uuid}/answer", sync_to_thread=True)
    def answer(self, web: WebPage, competition_id: Id, question_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        answer = text(data, "answer")
        if not 1 <= len(answer) <= 8000:
            raise InvalidInput(N_("An answer has 1 to 8 000 characters."), field="answer")
        clarifications.answer(
            web.db,
            caller=caller,
            competition_id=competition_id,
            question_id=question_id,
            text=typed(AnswerIn, {"answer": answer}).answer,
            now=web.now,
        )
        return web.back(f"/ui/competitions/{competition_id}#questions", done="answered")

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

    def _rows(self, web: WebPage, data: dict[str, Any], *, competition_id: uuid.UUID | None) -> Template:
        """Add or remove a row of lots or sub-criteria; nothing is saved (htmx swaps just that part)."""
        action = text(data, "action")
        values, lots, criteria = competition_form.with_row_change(_values(data), action)
        focus = None
        if action == "add-lot":
            focus = f"lot-{lots[-1]}"
        elif action == "add-criterion":
            focus = f"criterion-{criteria[-1]}"
        return self._form(
            web,
            values=values,
            errors=FieldErrors(),
            competition_id=competition_id,
            rows=(lots, criteria),
            focus=focus,
        )

    @staticmethod
    def _form(
        web: WebPage,
        *,
        values: dict[str, str],
        errors: FieldErrors,
        competition_id: uuid.UUID | None,
        status: int = 200,
        rows: tuple[list[int], list[int]] | None = None,
        focus: str | None = None,
    ) -> Template:
        lots, criteria = rows or (
            competition_form.rows(values, "lots") or [0],
            competition_form.rows(values, "quality_criteria") or [0],
        )
        dps_list = [d for d in list_dps(web.db, now=web.now, page=WHOLE).items if d.state != "draft"]
        names = web.category_names()
        offered = sorted(
            {c for d in dps_list for c in d.categories},
            key=lambda c: list(names).index(c) if c in names else 99,
        )
        lang_index = 0 if web.lang == "fi" else 1
        return web.page(
            "competition_form.html",
            status=status,
            values=values,
            errors=errors,
            summary_labels=competition_form.summary_labels(errors, web.t, lots, criteria),
            competition_id=competition_id,
            dps_options=[(str(d.id), d.title) for d in dps_list],
            category_options=[("", web.t("Choose…"))]
            + [(c, names[c][lang_index] if c in names else c) for c in offered],
            target_group_options=[(g, web.t(_target(g))) for g in competition_form.TARGET_GROUPS],
            lot_rows=lots,
            criterion_rows=criteria,
            focus=focus,
            components=COMPONENTS,
            payment_defaults=[
                (str(category), {str(c): bp for c, bp in shares})
                for category, shares in DEFAULT_SHARES_BP.items()
            ],
        )


def _target(group: str) -> str:
    from procurement.app.web.labels import label

    return label("target_group", group)


def _values(form: dict[str, Any]) -> dict[str, str]:
    return {k: text(form, k) for k in form if k not in (CSRF_FIELD, "action")}


def _award_or_none(web: WebPage, competition_id: uuid.UUID, state: str) -> Any:
    if state not in ("awarded", "concluded", "contracted"):
        return None
    return award.get_award(web.db, caller=web.caller, competition_id=competition_id, now=web.now)
