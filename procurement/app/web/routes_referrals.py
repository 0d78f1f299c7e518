"""Referrals: the officer's list (filters, pages by cursor), referring a participant, verifying outcomes."""

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from minicompetition.award import contracts
from outcomes.tracking import events, participants, referrals
from outcomes.tracking.schemas import ParticipantIn, ReasonIn, ReferralIn, VerifyIn
from procurement.app.web import forms
from procurement.app.web.context import WebPage
from procurement.app.web.forms import FieldErrors, Form, text, typed
from procurement.app.web.listing import WHOLE, walk
from procurement.app.web.messages import N_
from procurement.core.errors import InvalidInput
from procurement.ring.rings import get_authority

Id = FromPath[uuid.UUID]
TIERS = ("T1", "T2", "T3", "T4")
REFERRAL_STATES = ("referred", "started", "ended")
PARTICIPANT_GROUPS = ("long_term_unemployed", "youth", "over_55", "immigrants", "partial_work_ability")


class ReferralPages(Controller):
    """What an officer does with participants and their outcomes."""

    include_in_schema = False

    @get("/referrals", sync_to_thread=True)
    def referral_list(self, web: WebPage) -> Template:
        caller = web.signed_in("officer")
        suppliers = dict(contracts.contracted_suppliers(web.db, caller=caller))
        query = dict(web.request.query_params)
        state = query.get("state") if query.get("state") in REFERRAL_STATES else None
        supplier, municipality = query.get("supplier"), query.get("municipality")
        page = walk(
            lambda p: referrals.list_referrals(web.db, caller=caller, contract_id=None, state=state, page=p),
            query=query,
            path="/ui/referrals",
            keep=("supplier", "state", "municipality"),
            test=lambda r: (
                (not supplier or str(r.supplier_id) == supplier)
                and (not municipality or r.home_municipality_code == municipality)
            ),
        )
        assert caller.authority_id is not None  # noqa: S101 (an officer)
        area = set(get_authority(web.db, caller.authority_id).municipality_codes)
        return web.page(
            "referrals.html",
            page=page,
            rows=[(r, suppliers.get(r.supplier_id, "")) for r in page.rows],
            suppliers=list(suppliers.items()),
            municipalities=sorted(area | {r.home_municipality_code for r in page.rows}),
            states=REFERRAL_STATES,
        )

    @get("/referrals/new", sync_to_thread=True)
    def new(self, web: WebPage) -> Template:
        web.signed_in("officer")
        return self._form(web, values={"tier": "T2"}, errors=FieldErrors())

    @post("/referrals", sync_to_thread=True)
    def create(self, web: WebPage, data: Form) -> Any:
        caller = web.signed_in("officer")
        errors = FieldErrors()
        contract_id, lot_id = _contract_lot(text(data, "lot"), errors)
        person = {
            "hetu": text(data, "hetu"),
            "home_municipality_code": text(data, "home_municipality_code"),
            "tier": text(data, "tier") or None,
            "target_groups": [g for g in PARTICIPANT_GROUPS if text(data, f"group-{g}") == "yes"],
            "partial_work_ability": text(data, "group-partial_work_ability") == "yes",
        }
        for name, message in (("hetu", "Required."), ("home_municipality_code", "Required.")):
            if not person[name]:
                errors[name] = message
        if not errors:
            try:
                participant, _ = participants.register(
                    web.db,
                    caller=caller,
                    data=forms.typed(ParticipantIn, person),
                    now=web.now,
                    settings=web.settings,
                )
                made = referrals.refer(
                    web.db,
                    caller=caller,
                    data=ReferralIn(participant_id=participant.id, contract_id=contract_id, lot_id=lot_id),  # type: ignore[arg-type]
                    now=web.now,
                )
                return web.back(f"/ui/referrals/{made.id}", done="referred")
            except InvalidInput as exc:
                web.db.rollback()
                forms.add_refusal(errors, exc, field="lot")
        values = {k: text(data, k) for k in data if k not in ("_csrf", "hetu")}  # the hetu is never echoed
        return self._form(web, values=values, errors=errors, status=422)

    @get("/referrals/{referral_id:uuid}", sync_to_thread=True)
    def referral(self, web: WebPage, referral_id: Id) -> Template:
        caller = web.signed_in("officer")
        found = referrals.get(web.db, caller=caller, referral_id=referral_id)
        contract = contracts.get_contract(web.db, caller=caller, contract_id=found.contract_id)
        return web.page("referral.html", referral=found, contract=contract)

    @post("/outcome-events/{event_id:uuid}/verify", sync_to_thread=True)
    def verify(self, web: WebPage, event_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        verified = events.verify(
            web.db,
            caller=caller,
            event_id=event_id,
            data=VerifyIn(pre_dates_referral=text(data, "pre_dates_referral") == "yes"),
            now=web.now,
        )
        return web.back(f"/ui/referrals/{verified.referral_id}", done="verified")

    @post("/outcome-events/{event_id:uuid}/reject", sync_to_thread=True)
    def reject(self, web: WebPage, event_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        reason = text(data, "reason")
        if len(reason) < 3:
            raise InvalidInput(N_("Give the reason for rejecting (at least 3 characters)."), field="reason")
        reason = typed(ReasonIn, {"reason": reason}).reason  # the limits of the API's body
        rejected = events.reject(web.db, caller=caller, event_id=event_id, reason=reason, now=web.now)
        return web.back(f"/ui/referrals/{rejected.referral_id}", done="rejected")

    @staticmethod
    def _form(web: WebPage, *, values: dict[str, str], errors: FieldErrors, status: int = 200) -> Template:
        caller = web.signed_in("officer")
        active = contracts.list_contracts(web.db, caller=caller, state="active", page=WHOLE).items
        return web.page(
            "referral_form.html",
            status=status,
            values=values,
            errors=errors,
            contracts=active,
            tiers=TIERS,
            groups=PARTICIPANT_GROUPS,
        )


def _contract_lot(value: str, errors: FieldErrors) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    contract, _, lot = value.partition("|")
    try:
        return uuid.UUID(contract), uuid.UUID(lot)
    except ValueError:
        errors["lot"] = N_("Choose one.")
        return None, None
