"""HTTP surface of evaluation, results, price to win, the award decision and contracts."""

import uuid

from litestar import Controller, Response, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody

from minicompetition.award import contracts, evaluation, results
from minicompetition.award import decisions as award
from minicompetition.award import price_to_win as pricing
from minicompetition.award.schemas import (
    AwardIn,
    AwardOut,
    ContractOut,
    EvaluationRunOut,
    EvaluationRunSummary,
    MyResultOut,
    PriceToWinIn,
    PriceToWinOut,
    QualityScoresIn,
    QualityTableOut,
    TerminateIn,
)
from procurement.core.http import (
    LOCATION,
    AppSettings,
    CurrentCaller,
    DbSession,
    Now,
    OptionalCaller,
    created,
)
from procurement.core.throttle import PRICE_TO_WIN

CompetitionId = FromPath[uuid.UUID]
RunId = FromPath[uuid.UUID]


class AwardController(Controller):
    """Quality scores, evaluation runs, results, the award decision and contracts."""

    tags = ["evaluation and award"]

    @put(
        "/competitions/{competition_id:uuid}/quality-scores",
        sync_to_thread=True,
        summary="Enter or replace quality scores of opened lines (buying authority)",
    )
    def enter_scores(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        data: JSONBody[QualityScoresIn],
        now: Now,
    ) -> QualityTableOut:
        return evaluation.enter_scores(
            db_session, caller=caller, competition_id=competition_id, data=data, now=now
        )

    @get(
        "/competitions/{competition_id:uuid}/quality-scores",
        sync_to_thread=True,
        summary="Quality scores and q of every opened line (buying authority)",
    )
    def quality_table(
        self, db_session: DbSession, caller: CurrentCaller, competition_id: CompetitionId
    ) -> QualityTableOut:
        return evaluation.quality_table(db_session, caller=caller, competition_id=competition_id)

    @post(
        "/competitions/{competition_id:uuid}/evaluation-runs",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Run the evaluation and store the run (buying authority; repeatable until the award)",
    )
    def evaluate(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        now: Now,
        settings: AppSettings,
        state: State,
    ) -> Response[EvaluationRunOut]:
        out = evaluation.run_evaluation(
            db_session,
            caller=caller,
            competition_id=competition_id,
            now=now,
            settings=settings,
            track_record=state.get("track_record"),
        )
        return created(out, location=f"/evaluation-runs/{out.id}")

    @get(
        "/competitions/{competition_id:uuid}/evaluation-runs",
        sync_to_thread=True,
        summary="The stored evaluation runs (buying authority)",
    )
    def runs(
        self, db_session: DbSession, caller: CurrentCaller, competition_id: CompetitionId
    ) -> list[EvaluationRunSummary]:
        return evaluation.list_runs(db_session, caller=caller, competition_id=competition_id)

    @get(
        "/evaluation-runs/{run_id:uuid}",
        sync_to_thread=True,
        summary="A run: the whole table (buying authority) or the caller's own lines (bidder)",
    )
    def run(self, db_session: DbSession, caller: CurrentCaller, run_id: RunId) -> EvaluationRunOut:
        return results.get_run(db_session, caller=caller, run_id=run_id)

    @post(
        "/evaluation-runs/{run_id:uuid}/price-to-win",
        status_code=200,
        sync_to_thread=True,
        summary="Price to win of a losing line (its supplier, or the buying authority); kept with the run",
    )
    def price_to_win(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        run_id: RunId,
        data: JSONBody[PriceToWinIn],
        now: Now,
        settings: AppSettings,
        state: State,
    ) -> PriceToWinOut:
        # Each question may run the solver: repeated ones are slowed down per principal (429).
        state.price_to_win_throttle.take(str(caller.id), what=PRICE_TO_WIN)
        return pricing.line_price_to_win(
            db_session,
            caller=caller,
            run_id=run_id,
            bid_id=data.bid_id,
            lot_id=data.lot_id,
            now=now,
            settings=settings,
        )

    @get(
        "/evaluation-runs/{run_id:uuid}/price-to-win",
        sync_to_thread=True,
        summary="Price to win of a losing line, by query parameters bid_id and lot_id",
    )
    def price_to_win_query(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        run_id: RunId,
        bid_id: FromQuery[uuid.UUID],
        lot_id: FromQuery[uuid.UUID],
        now: Now,
        settings: AppSettings,
        state: State,
    ) -> PriceToWinOut:
        state.price_to_win_throttle.take(str(caller.id), what=PRICE_TO_WIN)
        return pricing.line_price_to_win(
            db_session, caller=caller, run_id=run_id, bid_id=bid_id, lot_id=lot_id, now=now, settings=settings
        )

    @get(
        "/competitions/{competition_id:uuid}/my-result",
        sync_to_thread=True,
        summary="The calling bidder's own result in the current run",
    )
    def my_result(
        self, db_session: DbSession, caller: CurrentCaller, competition_id: CompetitionId
    ) -> MyResultOut:
        return results.my_result(db_session, caller=caller, competition_id=competition_id)

    @post(
        "/competitions/{competition_id:uuid}/award",
        status_code=200,
        sync_to_thread=True,
        summary="Issue the award decision on an optimal run, overriding lots with reasons (buying authority)",
    )
    def issue_award(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        data: JSONBody[AwardIn],
        now: Now,
        settings: AppSettings,
    ) -> AwardOut:
        return award.issue(
            db_session, caller=caller, competition_id=competition_id, data=data, now=now, settings=settings
        )

    @get(
        "/competitions/{competition_id:uuid}/award",
        sync_to_thread=True,
        summary="The award decision: winners, lots, volumes and unit prices (public once issued)",
    )
    def get_award(
        self, db_session: DbSession, optional_caller: OptionalCaller, competition_id: CompetitionId, now: Now
    ) -> AwardOut:
        return award.get_award(db_session, caller=optional_caller, competition_id=competition_id, now=now)

    @post(
        "/competitions/{competition_id:uuid}/contracts",
        status_code=200,
        sync_to_thread=True,
        summary="Conclude the contracts after the standstill; answers with them (buying authority)",
    )
    def conclude(
        self, db_session: DbSession, caller: CurrentCaller, competition_id: CompetitionId, now: Now
    ) -> list[ContractOut]:
        return contracts.conclude(db_session, caller=caller, competition_id=competition_id, now=now)

    @get(
        "/competitions/{competition_id:uuid}/contracts",
        sync_to_thread=True,
        summary="A competition's contracts in the caller's scope",
    )
    def competition_contracts(
        self, db_session: DbSession, caller: CurrentCaller, competition_id: CompetitionId
    ) -> list[ContractOut]:
        return contracts.list_contracts(db_session, caller=caller, competition_id=competition_id)

    @get(
        "/contracts",
        sync_to_thread=True,
        summary="Contracts: the authority's (officer, finance) or one's own",
    )
    def list_contracts(self, db_session: DbSession, caller: CurrentCaller) -> list[ContractOut]:
        return contracts.list_contracts(db_session, caller=caller)

    @get(
        "/contracts/{contract_id:uuid}",
        sync_to_thread=True,
        summary="A contract (404 outside the caller's scope)",
    )
    def get_contract(
        self, db_session: DbSession, caller: CurrentCaller, contract_id: FromPath[uuid.UUID]
    ) -> ContractOut:
        return contracts.get_contract(db_session, caller=caller, contract_id=contract_id)

    @post(
        "/contracts/{contract_id:uuid}/complete",
        status_code=200,
        sync_to_thread=True,
        summary="Complete an active contract (buying officer); its cohorts then settle as they mature",
    )
    def complete_contract(
        self, db_session: DbSession, caller: CurrentCaller, contract_id: FromPath[uuid.UUID], now: Now
    ) -> ContractOut:
        return contracts.end_contract(db_session, caller=caller, contract_id=contract_id, now=now)

    @post(
        "/contracts/{contract_id:uuid}/terminate",
        status_code=200,
        sync_to_thread=True,
        summary="Terminate an active contract with the reason (buying officer)",
    )
    def terminate_contract(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[TerminateIn],
        now: Now,
    ) -> ContractOut:
        return contracts.end_contract(
            db_session, caller=caller, contract_id=contract_id, now=now, reason=data.reason
        )
