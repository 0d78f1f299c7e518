"""A supplier's invitations: terms, amendments, answers, questions, the bid form and receipt, results."""

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from minicompetition.award import price_to_win as pricing
from minicompetition.award import results
from minicompetition.tender import bids, clarifications, opening, own_bid, sealing
from minicompetition.tender.schemas import BidIn
from procurement.app.web import forms
from procurement.app.web.context import WebPage
from procurement.app.web.forms import FieldErrors, Form, text
from procurement.app.web.listing import walk
from procurement.app.web.messages import N_
from procurement.core.errors import DomainError, InvalidInput, NotFound
from procurement.core.throttle import PRICE_TO_WIN

Id = FromPath[uuid.UUID]


class SupplierBidPages(Controller):
    """Invitations and bids through the same sealed path as the API."""

    include_in_schema = False

    @get("/supplier/invitations", sync_to_thread=True)
    def inbox(self, web: WebPage) -> Template:
        caller = web.signed_in("supplier")
        page = walk(  # newest invitation first
            lambda p: clarifications.inbox(web.db, caller=caller, now=web.now, page=p),
            query=dict(web.request.query_params),
            path="/ui/supplier/invitations",
        )
        return web.page("supplier_invitations.html", invitations=page.rows, page=page)

    @get("/supplier/invitations/{competition_id:uuid}", sync_to_thread=True)
    def invitation(self, web: WebPage, competition_id: Id) -> Template:
        caller = web.signed_in("supplier")
        return self._page(web, caller, competition_id, values=None, errors=FieldErrors())

    @post("/supplier/invitations/{competition_id:uuid}/questions", sync_to_thread=True)
    def ask(self, web: WebPage, competition_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("supplier")
        question = text(data, "question")
        if not 3 <= len(question) <= 4000:
            raise InvalidInput(N_("A question has 3 to 4 000 characters."), field="question")
        clarifications.ask(
            web.db, caller=caller, competition_id=competition_id, question=question, now=web.now
        )
        return web.back(f"/ui/supplier/invitations/{competition_id}#questions", done="asked")

    @post("/supplier/invitations/{competition_id:uuid}/bid", sync_to_thread=True)
    def bid(self, web: WebPage, competition_id: Id, data: Form) -> Any:
        caller = web.signed_in("supplier")
        detail = clarifications.inbox_item(web.db, caller=caller, competition_id=competition_id, now=web.now)
        errors = FieldErrors()
        lines = _lines(data, detail.competition, errors)
        if not lines and not errors:
            errors[f"price-{detail.competition.lots[0].code}"] = "Give a price for at least one lot."
        if not errors:
            try:
                bids.submit(
                    web.db,
                    caller=caller,
                    competition_id=competition_id,
                    data=forms.typed(BidIn, {"lines": lines}),
                    idempotency_key=text(data, "idempotency_key") or None,
                    now=web.now,
                    settings=web.settings,
                )
                return web.back(f"/ui/supplier/invitations/{competition_id}#receipt", done="bid")
            except InvalidInput as exc:
                web.db.rollback()
                forms.add_refusal(errors, exc, field=f"price-{detail.competition.lots[0].code}")
        values = {k: text(data, k) for k in data if k not in ("_csrf",)}
        return self._page(web, caller, competition_id, values=values, errors=errors, status=422)

    @post("/supplier/bids/{bid_id:uuid}/withdraw", sync_to_thread=True)
    def withdraw(self, web: WebPage, bid_id: Id, data: Form) -> Any:
        caller = web.signed_in("supplier")
        asked = web.confirm(
            data,
            title=web.t("Withdraw the bid?"),
            facts=[
                web.t("The buyer never sees a withdrawn bid. You may submit a new bid before the deadline.")
            ],
            button=web.t("Withdraw the bid"),
            back="/ui/supplier/invitations",
        )
        if asked is not None:
            return asked
        receipt = bids.withdraw(web.db, caller=caller, bid_id=bid_id, now=web.now)
        return web.back(f"/ui/supplier/invitations/{receipt.competition_id}", done="withdrawn")

    @post("/supplier/bids/{bid_id:uuid}/confirm", sync_to_thread=True)
    def confirm(self, web: WebPage, bid_id: Id) -> Redirect:
        caller = web.signed_in("supplier")
        receipt = bids.confirm(web.db, caller=caller, bid_id=bid_id, now=web.now)
        return web.back(f"/ui/supplier/invitations/{receipt.competition_id}", done="confirmed")

    @get("/supplier/results/{competition_id:uuid}", sync_to_thread=True)
    def result(self, web: WebPage, competition_id: Id) -> Template:
        caller = web.signed_in("supplier")
        detail = clarifications.inbox_item(web.db, caller=caller, competition_id=competition_id, now=web.now)
        try:
            mine = results.my_result(web.db, caller=caller, competition_id=competition_id)
        except NotFound:
            if detail.competition.state != "unsuccessful" or detail.my_bid is None:
                raise
            mine = None  # ended at the opening with no admissible bid: no evaluation, only the reason
        bid = (
            opening.get_bid(web.db, caller=caller, bid_id=detail.my_bid.bid_id, now=web.now)
            if detail.my_bid
            else None
        )
        return web.page("supplier_result.html", competition=detail.competition, result=mine, bid=bid)

    @post("/supplier/results/{competition_id:uuid}/price-to-win", sync_to_thread=True)
    def price_to_win(self, web: WebPage, competition_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("supplier")
        web.state.price_to_win_throttle.take(str(caller.id), what=PRICE_TO_WIN)
        errors = FieldErrors()
        run_id = forms.uuid_field(data, "run_id", errors)
        bid_id, lot_id = forms.uuid_field(data, "bid_id", errors), forms.uuid_field(data, "lot_id", errors)
        if run_id is None or bid_id is None or lot_id is None:
            raise InvalidInput("Choose a line of the run.", field=next(iter(errors)))
        # Shown only once the award is issued (the service refuses earlier); kept with the run once computed.
        pricing.line_price_to_win(
            web.db,
            caller=caller,
            run_id=run_id,
            bid_id=bid_id,
            lot_id=lot_id,
            now=web.now,
            settings=web.settings,
        )
        return web.back(f"/ui/supplier/results/{competition_id}#lot-{lot_id}")

    def _page(
        self,
        web: WebPage,
        caller: Any,
        competition_id: uuid.UUID,
        *,
        values: dict[str, str] | None,
        errors: FieldErrors,
        status: int = 200,
    ) -> Template:
        detail = clarifications.inbox_item(web.db, caller=caller, competition_id=competition_id, now=web.now)
        bid = (
            opening.get_bid(web.db, caller=caller, bid_id=detail.my_bid.bid_id, now=web.now)
            if detail.my_bid
            else None
        )
        open_now = detail.competition.state == "published" and detail.competition.tender_deadline > web.now
        unreadable = False
        if values is None:
            own = _own_values(web, caller, bid.id) if bid and open_now and bid.state == "submitted" else {}
            unreadable, values = own is None, own or {}
        last = max((v.received_at for v in bid.versions), default=None) if bid else None
        # After an amendment of the quality sub-criteria a bid is submitted again, never just confirmed.
        criteria_changed = bool(
            bid
            and bid.needs_confirmation
            and any(
                "quality_criteria" in a.changes and (last is None or a.at > last)
                for a in detail.competition.amendments
            )
        )
        return web.page(
            "supplier_invitation.html",
            status=status,
            criteria_changed=criteria_changed,
            unreadable=unreadable,
            detail=detail,
            competition=detail.competition,
            bid=bid,
            open_now=open_now,
            values=values,
            errors=errors,
            now=web.now,
            idempotency_key=str(uuid.uuid4()),  # a double click sends the same key: one version, one receipt
        )


def _lines(data: dict[str, Any], competition: Any, errors: FieldErrors) -> list[dict[str, Any]]:
    """One line per lot whose price is filled in: euros, participants, %, and an answer per sub-criterion."""
    lines = []
    for lot in competition.lots:
        code = lot.code
        if not text(data, f"price-{code}"):
            continue
        price = forms.euros(data, f"price-{code}", errors)
        capacity = forms.integer(data, f"capacity-{code}", errors)
        flow = forms.percent_bp(data, f"flow-{code}", errors)
        if flow is not None and not 0 <= flow <= 10_000:
            errors[f"flow-{code}"] = N_("Give a percentage from 0 to 100.")
        answers = {}
        for criterion in competition.quality_criteria:
            answer = text(data, f"answer-{code}-{criterion.code}")
            if not answer:
                errors[f"answer-{code}-{criterion.code}"] = N_("Answer every quality sub-criterion.")
            answers[criterion.code] = answer
        lines.append(
            {
                "lot": code,
                "unit_price_cents": price,
                "capacity": capacity,
                "committed_flow_through_bp": flow,
                "quality_answers": answers,
            }
        )
    return lines


def _own_values(web: WebPage, caller: Any, bid_id: uuid.UUID) -> dict[str, str] | None:
    """The current version's content as the form's values, opened with the session's holder key (the
    copy is keyed to the supplier's tokens, ADR 0003); None when this session's key does not open it."""
    try:
        content = own_bid.own_content(
            web.db, caller=caller, bid_id=bid_id, now=web.now, settings=web.settings
        )
    except (DomainError, sealing.SealingError):
        return None  # no copy this session can open: the form starts empty, the receipt still stands
    values = {}
    for line in content.lines:
        values[f"price-{line.lot}"] = _decimal(line.unit_price_cents)
        values[f"capacity-{line.lot}"] = str(line.capacity)
        values[f"flow-{line.lot}"] = _decimal(line.committed_flow_through_bp)
        for code, answer in line.quality_answers.items():
            values[f"answer-{line.lot}-{code}"] = answer
    return values


def _decimal(hundredths: int) -> str:
    return f"{hundredths // 100}" + (f",{hundredths % 100:02d}" if hundredths % 100 else "")
