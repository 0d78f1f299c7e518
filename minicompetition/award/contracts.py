"""Contracts: concluded after the standstill, one per winning supplier, copied from the award and terms."""

import copy
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from minicompetition.award.models import Contract, ContractLot
from minicompetition.award.runs import award_of, lots_by_code, suppliers_by_id
from minicompetition.award.schemas import ContractLotOut, ContractOut
from minicompetition.tender import access, rules
from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.errors import Conflict, NotFound
from procurement.core.paging import FIRST_PAGE, Keyset, Page, PageRequest
from procurement.core.states import machine
from registry.models import Supplier

NOT_FOUND = "No contract has that id."
# SPEC 7: a contract ends once, completed or terminated with a reason; neither is ever undone.
CONTRACT_MACHINE = machine("contract", {"active": {"completed", "terminated"}})


class StandstillRunning(Conflict):
    """The standstill has not ended; no contract may be concluded yet."""

    title = "Standstill period running"


def conclude(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, now: datetime
) -> list[ContractOut]:
    """After the standstill, conclude one contract per winning supplier with its awarded lots."""
    competition, db_now = access.load(session, competition_id, lock="update")
    access.require_buying_officer(caller, competition)
    current = rules.effective_state(
        state=competition.state, tender_deadline=competition.tender_deadline, now=db_now
    )
    rules.COMPETITION_MACHINE.check(current, "concluded")
    decision = award_of(session, competition.id)
    assert decision is not None  # noqa: S101 (an awarded competition has its decision)
    if now < decision.standstill_ends_at:
        raise StandstillRunning(
            f"The standstill runs until {rules.helsinki_text(decision.standstill_ends_at)}; contracts can be "
            "concluded only after it ends.",
            standstill_ends_at=decision.standstill_ends_at.isoformat(),
        )
    lots = lots_by_code(session, competition.id)
    by_supplier: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in decision.allocation:
        by_supplier[row["supplier_id"]].append(row)
    contracts = []
    for supplier_id, rows in sorted(by_supplier.items()):
        contract = Contract(
            competition_id=competition.id,
            award_id=decision.id,
            authority_id=competition.authority_id,
            supplier_id=uuid.UUID(supplier_id),
            dps_id=competition.dps_id,
            category_code=competition.category_code,
            value_ceiling_cents=sum(r["volume"] * r["unit_price_cents"] for r in rows),
            # A copy: later changes to the competition never change a concluded contract.
            payment_model=copy.deepcopy(competition.payment_model),
            concluded_at=now,
        )
        session.add(contract)
        session.flush()
        session.add_all(
            ContractLot(
                contract_id=contract.id,
                lot_id=lots[r["lot"]].id,
                lot_code=r["lot"],
                municipality_codes=list(lots[r["lot"]].municipality_codes),
                target_group=lots[r["lot"]].target_group,
                volume=r["volume"],
                unit_price_cents=r["unit_price_cents"],
            )
            for r in rows
        )
        audit.record(
            session,
            aggregate=("contract", contract.id),
            actor=caller.label,
            action="contract.concluded",
            at=now,
            after={
                "competition": competition.id,
                "supplier": supplier_id,
                "value_ceiling_cents": contract.value_ceiling_cents,
                "lots": [
                    {"lot": r["lot"], "volume": r["volume"], "unit_price_cents": r["unit_price_cents"]}
                    for r in rows
                ],
            },
        )
        outbox.emit(session, "contract.concluded", subject=("contract", contract.id), at=now)
        contracts.append(contract)
    competition.state, competition.updated_at = "concluded", now
    session.add(competition)
    session.flush()
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="competition.concluded",
        at=now,
        before={"state": "awarded"},
        after={"state": "concluded", "contracts": [c.id for c in contracts]},
    )
    return _outs(session, contracts)


def end_contract(
    session: Session, *, caller: Caller, contract_id: uuid.UUID, now: datetime, reason: str | None = None
) -> ContractOut:
    """A buying officer completes the contract, or terminates it with a reason; no new referrals follow.

    Its payments go on: outcomes of its referrals are still paid, and every cohort of its starts settles
    as it matures whatever its size (the final settlement, SPEC 4.5).
    """
    caller.require("officer")
    contract = session.exec(
        select(Contract)
        .where(Contract.id == contract_id, Contract.authority_id == caller.authority_id)
        .with_for_update()
    ).first()
    if contract is None:
        raise NotFound(NOT_FOUND)
    target = "completed" if reason is None else "terminated"
    CONTRACT_MACHINE.check(contract.state, target)
    contract.state, contract.ended_at, contract.termination_reason = target, now, reason
    session.add(contract)
    session.flush()
    audit.record(
        session,
        aggregate=("contract", contract.id),
        actor=caller.label,
        action=f"contract.{target}",
        at=now,
        before={"state": "active"},
        after={"state": target, "ended_at": now, "reason": reason},
    )
    outbox.emit(session, "contract.ended", subject=("contract", contract.id), at=now)
    return _outs(session, [contract])[0]


def _scope(session: Session, caller: Caller) -> ColumnElement[bool] | None:
    """Contracts the caller may read: its authority's (officers, finance), or its own (suppliers)."""
    if caller.role in ("officer", "finance"):
        return col(Contract.authority_id) == caller.authority_id
    if caller.role == "supplier":
        return col(Contract.supplier_id) == access.supplier_of(session, caller).id
    return None


# Newest conclusion first; a contract is concluded once, so the key never changes.
CONTRACT_ORDER = Keyset("contracts", (col(Contract.concluded_at), col(Contract.id)), descending=True)


def list_contracts(
    session: Session,
    *,
    caller: Caller,
    competition_id: uuid.UUID | None = None,
    state: str | None = None,
    page: PageRequest = FIRST_PAGE,
) -> Page[ContractOut]:
    """A page of the contracts in the caller's scope, optionally of one competition or in one state."""
    scope = _scope(session, caller)
    if scope is None:
        raise NotFound("Contracts are shown to the buying authority and to the contracted supplier.")
    query = select(Contract).where(scope)
    if competition_id is not None:
        access.load(session, competition_id)
        query = query.where(Contract.competition_id == competition_id)
    if state is not None:
        query = query.where(Contract.state == state)
    rows = CONTRACT_ORDER.page(session.exec(CONTRACT_ORDER.apply(query, page)).all(), page, _key)
    return Page(_outs(session, rows.items), rows.next)


def contracted_suppliers(session: Session, *, caller: Caller) -> list[tuple[uuid.UUID, str]]:
    """The suppliers the officer's authority has contracts with (any state), by name: a list's filter."""
    caller.require("officer", "finance")
    # One row a supplier, not one a contract: an authority holds hundreds of contracts with a few suppliers.
    rows = session.exec(
        select(Supplier.id, Supplier.name)
        .where(
            col(Supplier.id).in_(
                select(Contract.supplier_id).where(Contract.authority_id == caller.authority_id)
            )
        )
        .order_by(col(Supplier.name), col(Supplier.id))
    ).all()
    return [(supplier_id, name) for supplier_id, name in rows]


def _key(contract: Contract) -> tuple[datetime, uuid.UUID]:
    return contract.concluded_at, contract.id


def get_contract(session: Session, *, caller: Caller, contract_id: uuid.UUID) -> ContractOut:
    """One contract, to the buying authority's officers and finance and to its supplier; 404 for others."""
    scope = _scope(session, caller)
    row = (
        None
        if scope is None
        else session.exec(select(Contract).where(Contract.id == contract_id, scope)).first()
    )
    if row is None:
        raise NotFound(NOT_FOUND)
    return _outs(session, [row])[0]


def _outs(session: Session, contracts: list[Contract]) -> list[ContractOut]:
    session.flush()
    suppliers = suppliers_by_id(session, {c.supplier_id for c in contracts})
    lots: dict[uuid.UUID, list[ContractLot]] = defaultdict(list)
    if contracts:
        for row in session.exec(
            select(ContractLot)
            .where(col(ContractLot.contract_id).in_([c.id for c in contracts]))
            .order_by(col(ContractLot.lot_code))
        ):
            lots[row.contract_id].append(row)
    return [
        ContractOut(
            id=c.id,
            competition_id=c.competition_id,
            award_id=c.award_id,
            authority_id=c.authority_id,
            supplier_id=c.supplier_id,
            business_id=suppliers[str(c.supplier_id)].business_id,
            supplier_name=suppliers[str(c.supplier_id)].name,
            dps_id=c.dps_id,
            category=c.category_code,
            state=c.state,
            value_ceiling_cents=c.value_ceiling_cents,
            payment_model=c.payment_model,
            concluded_at=c.concluded_at,
            ended_at=c.ended_at,
            termination_reason=c.termination_reason,
            lots=[
                ContractLotOut(
                    lot_id=x.lot_id,
                    lot=x.lot_code,
                    municipality_codes=list(x.municipality_codes),
                    target_group=x.target_group,
                    volume=x.volume,
                    unit_price_cents=x.unit_price_cents,
                    value_cents=x.volume * x.unit_price_cents,
                )
                for x in lots[c.id]
            ],
        )
        for c in contracts
    ]
