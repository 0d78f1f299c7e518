"""After the award: the officer completes or terminates a contract, decides reported neutral exits, and
ends an evaluated competition without a winner. Each is the API's service, asked for confirmation first."""

import uuid
from typing import Any

from litestar import Controller, post
from litestar.params import FromPath
from litestar.response import Redirect

from minicompetition.award import contracts
from minicompetition.award.schemas import TerminateIn
from minicompetition.tender import unsuccessful
from minicompetition.tender.schemas import ReasonIn
from outcomes.tracking import referrals
from outcomes.tracking.schemas import ReasonIn as ExitReasonIn
from procurement.app.web.context import WebPage
from procurement.app.web.forms import Form, text, typed
from procurement.app.web.messages import N_
from procurement.core.errors import InvalidInput

Id = FromPath[uuid.UUID]


def _reason(data: dict[str, Any], message: str) -> str:
    reason = text(data, "reason")
    if len(reason) < 3:
        raise InvalidInput(message, field="reason")
    return reason


class ContractPages(Controller):
    """Endings the buying officer decides."""

    include_in_schema = False

    @post("/contracts/{contract_id:uuid}/complete", sync_to_thread=True)
    def complete(self, web: WebPage, contract_id: Id, data: Form) -> Any:
        caller = web.signed_in("officer")
        found = contracts.get_contract(web.db, caller=caller, contract_id=contract_id)
        asked = web.confirm(
            data,
            title=web.t("Complete the contract with %(s)s?") % {"s": found.supplier_name},
            facts=[
                web.t("No new participants are referred to it."),
                web.t("Outcomes of its referrals are still paid, and each cohort settles as it matures."),
            ],
            button=web.t("Complete the contract"),
            back=f"/ui/competitions/{found.competition_id}#contracts",
        )
        if asked is not None:
            return asked
        contracts.end_contract(web.db, caller=caller, contract_id=contract_id, now=web.now)
        return web.back(f"/ui/competitions/{found.competition_id}#contracts", done="completed")

    @post("/contracts/{contract_id:uuid}/terminate", sync_to_thread=True)
    def terminate(self, web: WebPage, contract_id: Id, data: Form) -> Any:
        caller = web.signed_in("officer")
        found = contracts.get_contract(web.db, caller=caller, contract_id=contract_id)
        reason = _reason(data, N_("Give the reason for terminating (at least 3 characters)."))
        reason = typed(TerminateIn, {"reason": reason}).reason
        asked = web.confirm(
            data,
            title=web.t("Terminate the contract with %(s)s?") % {"s": found.supplier_name},
            facts=[
                web.t("The supplier is told the reason; no new participants are referred to it."),
                web.t("Outcomes of its referrals are still paid, and each cohort settles as it matures."),
            ],
            button=web.t("Terminate the contract"),
            back=f"/ui/competitions/{found.competition_id}#contracts",
        )
        if asked is not None:
            return asked
        contracts.end_contract(web.db, caller=caller, contract_id=contract_id, now=web.now, reason=reason)
        return web.back(f"/ui/competitions/{found.competition_id}#contracts", done="terminated")

    @post("/referrals/{referral_id:uuid}/neutral-exit/verify", sync_to_thread=True)
    def verify_exit(self, web: WebPage, referral_id: Id) -> Redirect:
        caller = web.signed_in("officer")
        referrals.decide_neutral_exit(
            web.db, caller=caller, referral_id=referral_id, verified=True, now=web.now
        )
        return web.back(f"/ui/referrals/{referral_id}", done="exit_verified")

    @post("/referrals/{referral_id:uuid}/neutral-exit/reject", sync_to_thread=True)
    def reject_exit(self, web: WebPage, referral_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        reason = _reason(data, N_("Give the reason for rejecting (at least 3 characters)."))
        referrals.decide_neutral_exit(
            web.db,
            caller=caller,
            referral_id=referral_id,
            verified=False,
            now=web.now,
            reason=typed(ExitReasonIn, {"reason": reason}).reason,
        )
        return web.back(f"/ui/referrals/{referral_id}", done="exit_rejected")

    @post("/competitions/{competition_id:uuid}/unsuccessful", sync_to_thread=True)
    def declare_unsuccessful(self, web: WebPage, competition_id: Id, data: Form) -> Any:
        caller = web.signed_in("officer")
        reason = _reason(data, N_("Give the reason for ending without a winner (at least 3 characters)."))
        reason = typed(ReasonIn, {"reason": reason}).reason
        asked = web.confirm(
            data,
            title=web.t("End the competition without a winner?"),
            facts=[
                web.t("The competition ends as unsuccessful: nobody is awarded and no contract follows."),
                web.t("The reason is published and every invitee is told it."),
            ],
            button=web.t("End without a winner"),
            back=f"/ui/competitions/{competition_id}",
        )
        if asked is not None:
            return asked
        unsuccessful.declare(web.db, caller=caller, competition_id=competition_id, reason=reason, now=web.now)
        return web.back(f"/ui/competitions/{competition_id}", done="unsuccessful")
