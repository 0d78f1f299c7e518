"""HTTP surface of flow-through reports and the public performance register."""

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from outcomes.flowthrough import performance, public, reports
from outcomes.flowthrough.schemas import FlowThroughReport, PerformanceRegister, PublicFlowThrough
from procurement.core.http import CurrentCaller, DbSession, Now

Id = FromPath[uuid.UUID]
By = Annotated[
    list[str] | None,
    QueryParameter(
        name="by", description="contract, supplier, category, lot, municipality, target_group, month"
    ),
]
Cutoff = Annotated[date | None, QueryParameter(name="cutoff", description="YYYY-MM-DD; default today")]
PublicCutoff = Annotated[
    date | None,
    QueryParameter(
        name="cutoff", description="The last day of a closed month, YYYY-MM-DD; default the last one"
    ),
]


class FlowThroughController(Controller):
    """Flow-through reports for officers and suppliers, the public figures and the performance register."""

    tags = ["outcomes"]

    @get(
        "/reports/flow-through",
        sync_to_thread=True,
        summary="Flow-through with full figures (officer, supplier)",
    )
    def flow_through(
        self, db_session: DbSession, caller: CurrentCaller, now: Now, by: By = None, cutoff: Cutoff = None
    ) -> FlowThroughReport:
        return reports.flow_through_report(db_session, caller=caller, by=by, cutoff=cutoff, now=now)

    @get(
        "/dps/{dps_id:uuid}/flow-through",
        sync_to_thread=True,
        summary="Public flow-through (≤ 2 dimensions, month-end cut-offs), suppressed against subtraction",
    )
    def public_flow_through(
        self, db_session: DbSession, dps_id: Id, now: Now, by: By = None, cutoff: PublicCutoff = None
    ) -> PublicFlowThrough:
        return public.public_flow_through(db_session, dps_id=dps_id, by=by, cutoff=cutoff, now=now)

    @get(
        "/dps/{dps_id:uuid}/performance",
        sync_to_thread=True,
        summary="Public outcome register: flow-through and rating per admitted supplier and category",
    )
    def performance_register(
        self, db_session: DbSession, dps_id: Id, now: Now, cutoff: PublicCutoff = None
    ) -> PerformanceRegister:
        return performance.performance_register(db_session, dps_id=dps_id, cutoff=cutoff, now=now)
