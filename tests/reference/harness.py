"""Run a history through the real services and closes on PostgreSQL, and compare with the reference model."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from minicompetition.award import contracts as contract_service
from outcomes.payments import periods as payment_service
from outcomes.tracking import events, participants, referrals
from outcomes.tracking.models import Participant
from outcomes.tracking.schemas import EndIn, EventIn, ParticipantIn, ReferralIn, StartIn, VerifyIn
from procurement.core.settings import Settings
from tests.factories.outcomes import OutcomeWorld, hetu, make_outcome_world, party
from tests.reference.history import (
    LOTS,
    Close,
    Complete,
    End,
    Export,
    History,
    Refer,
    Reject,
    Report,
    Start,
    Verify,
    VerifyExit,
    Void,
)
from tests.reference.model import expected_lines, expected_states

Totals = dict[tuple[int, int, str, str, tuple[int, int]], tuple[int, int]]


@dataclass
class Run:
    """The real system's side of a history: ids of what it made, and the lines of each closed period."""

    session: Session
    settings: Settings
    history: History
    ow: OutcomeWorld
    finance: Any
    people: dict[int, uuid.UUID] = field(default_factory=dict)
    pseudonyms: dict[str, int] = field(default_factory=dict)
    referrals: dict[int, uuid.UUID] = field(default_factory=dict)
    events: dict[str, uuid.UUID] = field(default_factory=dict)
    totals: Totals = field(default_factory=dict)
    periods: dict[tuple[int, int], uuid.UUID] = field(default_factory=dict)


def world(session: Session, settings: Settings, history: History) -> Run:
    ow = make_outcome_world(session, suppliers=len(history.contracts))
    for contract, spec in zip(ow.contracts, history.contracts, strict=True):
        for lot, price in spec.prices.items():
            session.execute(
                text(
                    "UPDATE contract_lot SET unit_price_cents = :p WHERE contract_id = :c AND lot_code = :l"
                ),
                {"p": price, "c": contract.id, "l": lot},
            )
        session.execute(
            text(
                "UPDATE contract SET value_ceiling_cents = :v,"
                " payment_model = payment_model"
                " || jsonb_build_object('participant_cap_bp', CAST(:cap AS integer))"
                " WHERE id = :c"
            ),
            {"v": spec.ceiling, "cap": spec.participant_cap_bp, "c": contract.id},
        )
    session.expire_all()
    finance = party(session, role="finance", authority_id=ow.world.lead_id)
    return Run(session=session, settings=settings, history=history, ow=ow, finance=finance)


def _person(run: Run, n: int, at: Any) -> uuid.UUID:
    if n not in run.people:
        spec = run.history.people[n]
        data = ParticipantIn(
            hetu=hetu(n),
            home_municipality_code=LOTS[spec.lot],
            tier=spec.tier,
            partial_work_ability=spec.partial,  # type: ignore[arg-type]
        )
        out, _ = participants.register(
            run.session, caller=run.ow.officer.caller, now=at, settings=run.settings, data=data
        )
        run.people[n] = out.id
        participant = run.session.get(Participant, out.id)
        assert participant is not None
        run.pseudonyms[participant.pseudonym] = n
    return run.people[n]


def _seller(run: Run, ref: int) -> Any:
    refer = next(a for a in run.history.actions if isinstance(a, Refer) and a.ref == ref)
    return run.ow.supplier_parties[refer.contract].caller


def apply(run: Run, action: object) -> None:
    """One action through the services, at its own moment."""
    session, officer = run.session, run.ow.officer.caller
    if isinstance(action, Refer):
        spec = run.history.people[action.person]
        made = referrals.refer(
            session,
            caller=officer,
            now=action.at,
            data=ReferralIn(
                participant_id=_person(run, action.person, action.at),
                contract_id=run.ow.contracts[action.contract].id,
                lot_id=run.ow.awarded.lots[spec.lot].id,
            ),
        )
        run.referrals[action.ref] = made.id
    elif isinstance(action, Start):
        begun = referrals.start(
            session,
            caller=_seller(run, action.ref),
            referral_id=run.referrals[action.ref],
            now=action.at,
            data=StartIn(started_on=action.on, evidence_sha256="b" * 64),
        )
        run.events[f"s{action.ref}"] = (begun.events or [])[0].id
    elif isinstance(action, Report):
        reported = events.report(
            session,
            caller=_seller(run, action.ref),
            referral_id=run.referrals[action.ref],
            now=action.at,
            data=EventIn(event_type=action.kind, event_date=action.on, evidence_sha256="c" * 64),
        )
        run.events[action.event] = reported.id
    elif isinstance(action, Verify):
        events.verify(
            session, caller=officer, event_id=run.events[action.event], data=VerifyIn(), now=action.at
        )
    elif isinstance(action, Reject):
        events.reject(
            session, caller=officer, event_id=run.events[action.event], reason="Ei näyttöä", now=action.at
        )
    elif isinstance(action, Void):
        events.void(
            session, caller=officer, event_id=run.events[action.event], reason="Virheellinen", now=action.at
        )
    elif isinstance(action, End):
        neutral = action.reason == "neutral_exit"
        referrals.end(
            session,
            caller=_seller(run, action.ref),
            referral_id=run.referrals[action.ref],
            now=action.at,
            settings=run.settings,
            data=EndIn(
                ended_on=action.on,
                reason=action.reason,  # type: ignore[arg-type]
                neutral_exit_kind="moved_away" if neutral else None,
                evidence_sha256="d" * 64 if neutral else None,
            ),
        )
    elif isinstance(action, VerifyExit):
        referrals.decide_neutral_exit(
            session, caller=officer, referral_id=run.referrals[action.ref], verified=True, now=action.at
        )
    elif isinstance(action, Complete):
        contract_service.end_contract(
            session, caller=officer, contract_id=run.ow.contracts[action.contract].id, now=action.at
        )
    elif isinstance(action, Close):
        _close(run, action)
    elif isinstance(action, Export):
        period_id = run.periods[(action.year, action.month)]
        payment_service.confirm_export(session, caller=run.finance.caller, period_id=period_id, now=action.at)


def _close(run: Run, action: Close) -> None:
    label = f"{action.year:04d}-{action.month:02d}"
    session, at = run.session, action.at
    period = payment_service.create_period(session, caller=run.finance.caller, month=label, now=at)
    payment_service.close_period(session, caller=run.finance.caller, period_id=period.id, now=at)
    payment_service.approve_period(session, caller=run.ow.officer.caller, period_id=period.id, now=at)
    run.periods[(action.year, action.month)] = period.id
    contracts = {c.id: i for i, c in enumerate(run.ow.contracts)}
    rows = session.execute(
        text(
            "SELECT pseudonym, contract_id, component, kind, amount_cents, unpaid_cents FROM payment_line"
            " WHERE period_id = :p"
        ),
        {"p": period.id},
    ).all()
    for pseudonym, contract_id, component, kind, amount, unpaid in rows:
        key = (
            run.pseudonyms[pseudonym],
            contracts[contract_id],
            component,
            kind,
            (action.year, action.month),
        )
        before = run.totals.get(key, (0, 0))
        run.totals[key] = (before[0] + amount, before[1] + unpaid)


def states(run: Run) -> dict[str, str]:
    ids = {v: k for k, v in run.events.items()}
    rows = run.session.execute(
        text("SELECT id, state FROM outcome_event WHERE id = ANY(:ids)"), {"ids": list(ids)}
    ).all()
    return {ids[i]: s for i, s in rows}


@dataclass(frozen=True)
class Comparison:
    """What a history gave: lines compared and every difference between the close and the model."""

    lines_compared: int
    mismatches: list[str]


def compare(session: Session, settings: Settings, history: History) -> Comparison:
    """Run the history through the real close and compare every period's lines and every event's state."""
    run = world(session, settings, history)
    for action in history.actions:
        apply(run, action)
    expected = expected_lines(history)
    problems = [
        f"{key}: close {run.totals.get(key)} model {expected.get(key)}"
        for key in sorted(set(expected) | set(run.totals), key=str)
        if run.totals.get(key, (0, 0)) != expected.get(key, (0, 0))
    ]
    wanted, got = expected_states(history), states(run)
    problems += [
        f"event {name}: close {got.get(name)} model {state}"
        for name, state in sorted(wanted.items())
        if got.get(name) != state
    ]
    return Comparison(lines_compared=len(set(expected) | set(run.totals)), mismatches=problems)
