"""Demo mini-competitions through the real services: concluded, past its deadline, and open for bids."""

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

import msgspec
from sqlmodel import Session, col, select

from minicompetition.award import contracts, evaluation
from minicompetition.award import decisions as award
from minicompetition.award.schemas import AwardIn, QualityScoresIn
from minicompetition.tender import access, bids, competitions, opening
from minicompetition.tender.models import Bid, BidLine, Competition, Invitation, Lot
from minicompetition.tender.schemas import BidIn, CompetitionIn
from procurement.core.auth import Caller, authenticate
from procurement.core.models import Principal
from procurement.core.settings import Settings
from procurement.ring.models import Dps

CONCLUDED_TITLE = "Työhönvalmennus Lahdessa ja Päijät-Hämeessä 2026"
OPEN_TITLE = "Ammatilliset lyhytkoulutukset maahanmuuttajille ja nuorille 2027"
SEALED_TITLE = "Työkokeilut ja palkkatukityö Lahdessa ja Päijät-Hämeessä 2027"
PAIJAT_HAME = ["016", "081", "098", "111", "142", "316", "560", "576", "781"]
CRITERIA = [
    {"code": "METHOD", "name": "Valmennusmenetelmä ja sen vaikuttavuus", "weight_bp": 6000},
    {"code": "EMPLOYERS", "name": "Työnantajayhteistyö", "weight_bp": 4000},
]
# Every bid answers each announced sub-criterion (an unanswered one is refused).
ANSWERS = {
    "METHOD": "Yksilövalmennus, työkokeilu ja työnantajakäynnit viikoittain.",
    "EMPLOYERS": "Yhteistyösopimukset 40 alueen työnantajan kanssa.",
}
# supplier name -> lot code -> (unit price cents, capacity, committed flow-through bp, METHOD, EMPLOYERS)
OFFERS: dict[str, dict[str, tuple[int, int, int, int, int]]] = {
    "Työpolku Oy": {"LAHTI": (265_000, 20, 8200, 85, 75), "PAIJAT-HAME": (255_000, 12, 8000, 80, 70)},
    "Lahden Valmennuskeskus ry": {"LAHTI": (238_000, 15, 7600, 70, 80)},
    "Hämeen Työhönvalmennus Oy": {
        "LAHTI": (290_000, 15, 8500, 75, 65),
        "PAIJAT-HAME": (270_000, 15, 8600, 90, 85),
    },
    "Uraverstas Oy": {"PAIJAT-HAME": (244_000, 10, 7000, 60, 60)},
}
# The competition left for the visitor to open, score, evaluate and award (same shape as OFFERS).
SEALED_OFFERS: dict[str, dict[str, tuple[int, int, int, int, int]]] = {
    "Työpolku Oy": {"LAHTI": (212_000, 12, 7800, 80, 70), "PAIJAT-HAME": (205_000, 10, 7600, 75, 70)},
    "Lahden Valmennuskeskus ry": {"LAHTI": (198_000, 10, 7200, 70, 85)},
    "Hämeen Työhönvalmennus Oy": {"PAIJAT-HAME": (219_000, 14, 8300, 85, 80)},
}


def load(session: Session, *, tokens: Mapping[str, str], now: datetime, settings: Settings) -> None:
    """Create the demo competitions once (a second call finds them and does nothing)."""
    if session.exec(select(Competition.id).where(Competition.title == CONCLUDED_TITLE)).first() is not None:
        return
    officer = authenticate(session, f"Bearer {tokens['officer_lahti']}")
    area_officer = authenticate(session, f"Bearer {tokens['officer_hollola']}")
    dps = session.exec(select(Dps).order_by(col(Dps.created_at))).first()
    if officer is None or area_officer is None or dps is None:
        return
    _concluded(session, dps_id=dps.id, officer=officer, now=now, settings=settings)
    _sealed(session, dps_id=dps.id, officer=officer, now=now, settings=settings)
    _open(session, dps_id=dps.id, officer=area_officer, now=now, settings=settings)


def _terms(dps_id: uuid.UUID, *, now: datetime, **fields: object) -> CompetitionIn:
    body: dict[str, object] = {
        "dps_id": str(dps_id),
        "description": "Tulosperusteinen minikilpailutus dynaamisessa palveluntuottajarekisterissä.",
        "budget_cents": 15_000_000,
        "weights": {"price_bp": 5000, "quality_bp": 2000, "outcome_bp": 3000},
        "quality_criteria": CRITERIA,
        "allocation_rules": {"max_suppliers_per_lot": 2, "max_share_bp": 7000, "min_allocation": 5},
        "qa_deadline": (now + timedelta(days=7)).isoformat(),
        "tender_deadline": (now + timedelta(days=14)).isoformat(),
    }
    body.update(fields)
    return msgspec.convert(body, CompetitionIn)


def _concluded(
    session: Session, *, dps_id: uuid.UUID, officer: Caller, now: datetime, settings: Settings
) -> None:
    """Publish, bid, open, score, evaluate, award (standstill 0) and conclude one EMPLOYMENT competition."""
    terms = _terms(
        dps_id,
        now=now,
        category="EMPLOYMENT",
        title=CONCLUDED_TITLE,
        lots=[
            {
                "code": "LAHTI",
                "municipality_codes": ["398"],
                "target_group": "long_term_unemployed",
                "demand": 30,
                "max_unit_price_cents": 320_000,
            },
            {
                "code": "PAIJAT-HAME",
                "municipality_codes": PAIJAT_HAME,
                "target_group": "general",
                "demand": 20,
            },
        ],
        scope={
            "intended_effect": "Pitkäaikaistyöttömät työllistyvät avoimille työmarkkinoille.",
            "expected_participants": 50,
            "expected_cost_cents": 13_000_000,
            "expected_outcomes": 35,
        },
    )
    cid = _published_with_bids(session, terms, officer=officer, offers=OFFERS, now=now, settings=settings)
    opening.open_bids(session, caller=officer, competition_id=cid, now=now, settings=settings)
    evaluation.enter_scores(session, caller=officer, competition_id=cid, data=_scores(session, cid), now=now)
    run = evaluation.run_evaluation(session, caller=officer, competition_id=cid, now=now, settings=settings)
    if run.status != "optimal":
        return
    call_off = settings.model_copy(update={"standstill_days": 0})  # a DPS call-off may have no standstill
    award.issue(
        session,
        caller=officer,
        competition_id=cid,
        data=AwardIn(evaluation_run_id=run.id),
        now=now,
        settings=call_off,
    )
    contracts.conclude(session, caller=officer, competition_id=cid, now=now)


def _published_with_bids(
    session: Session,
    terms: CompetitionIn,
    *,
    officer: Caller,
    offers: Mapping[str, Mapping[str, tuple[int, int, int, int, int]]],
    now: datetime,
    settings: Settings,
) -> uuid.UUID:
    """Draft, publish and bid through the services, then declare the tender period over."""
    cid = competitions.create(session, caller=officer, data=terms, now=now).id
    # Demo data: however few suppliers the demo admits, the officer confirms publishing to them.
    competitions.publish(
        session, caller=officer, competition_id=cid, now=now, settings=settings, confirm_few_invitees=True
    )
    invited = session.exec(
        select(Invitation).where(Invitation.competition_id == cid).order_by(col(Invitation.supplier_name))
    ).all()
    for invitation in invited:
        offer = offers.get(invitation.supplier_name)
        bidder = _supplier_caller(session, invitation.business_id)
        if offer is None or bidder is None:
            continue
        lines = [
            {
                "lot": lot,
                "unit_price_cents": p,
                "capacity": c,
                "committed_flow_through_bp": r,
                "quality_answers": ANSWERS,
            }
            for lot, (p, c, r, _, _) in offer.items()
        ]
        bid = msgspec.convert({"lines": lines}, BidIn)
        bids.submit(
            session,
            caller=bidder,
            competition_id=cid,
            data=bid,
            idempotency_key=None,
            now=now,
            settings=settings,
        )
    # Demo data: the tender period is declared over so that the bids can be opened now.
    competition, _ = access.load(session, cid, lock="update")
    competition.tender_deadline = competition.qa_deadline = access.db_clock(session)
    session.add(competition)
    session.flush()
    return cid


def _sealed(
    session: Session, *, dps_id: uuid.UUID, officer: Caller, now: datetime, settings: Settings
) -> None:
    """An EMPLOYMENT competition past its deadline with three sealed bids, for the visitor to open."""
    terms = _terms(
        dps_id,
        now=now,
        category="EMPLOYMENT",
        title=SEALED_TITLE,
        budget_cents=8_000_000,
        lots=[
            {
                "code": "LAHTI",
                "municipality_codes": ["398"],
                "target_group": "long_term_unemployed",
                "demand": 20,
                "max_unit_price_cents": 240_000,
            },
            {
                "code": "PAIJAT-HAME",
                "municipality_codes": PAIJAT_HAME,
                "target_group": "over_55",
                "demand": 15,
            },
        ],
        scope={
            "intended_effect": "Työkokeilun ja palkkatuetun työn kautta avoimille työmarkkinoille.",
            "expected_participants": 35,
            "expected_cost_cents": 7_000_000,
            "expected_outcomes": 20,
        },
    )
    _published_with_bids(session, terms, officer=officer, offers=SEALED_OFFERS, now=now, settings=settings)


def _scores(session: Session, competition_id: uuid.UUID) -> QualityScoresIn:
    rows = session.exec(
        select(BidLine, Lot, Invitation)
        .join(Bid, col(Bid.id) == BidLine.bid_id)
        .join(Lot, col(Lot.id) == BidLine.lot_id)
        .join(
            Invitation,
            (col(Invitation.competition_id) == Bid.competition_id)
            & (col(Invitation.supplier_id) == Bid.supplier_id),
        )
        .where(Bid.competition_id == competition_id)
    ).all()
    scores = []
    for line, lot, invitation in rows:
        *_, method, employers = OFFERS[invitation.supplier_name][lot.code]
        for code, value in (("METHOD", method), ("EMPLOYERS", employers)):
            scores.append(
                {"bid_id": str(line.bid_id), "lot_id": str(lot.id), "criterion": code, "score": value}
            )
    return msgspec.convert({"scores": scores}, QualityScoresIn)


def _supplier_caller(session: Session, business_id: str) -> Caller | None:
    p = session.exec(
        select(Principal).where(Principal.role == "supplier", Principal.business_id == business_id)
    ).first()
    return None if p is None else Caller(id=p.id, role=p.role, name=p.name, business_id=p.business_id)


def _open(session: Session, *, dps_id: uuid.UUID, officer: Caller, now: datetime, settings: Settings) -> None:
    """A COMPETENCE competition of the employment area, published and open for bids for 20 days."""
    terms = _terms(
        dps_id,
        now=now,
        category="COMPETENCE",
        title=OPEN_TITLE,
        budget_cents=9_000_000,
        lots=[
            {
                "code": "HOLLOLA-HEINOLA",
                "municipality_codes": ["098", "111"],
                "target_group": "immigrants",
                "demand": 15,
                "max_unit_price_cents": 350_000,
            },
            {"code": "ORIMATTILA", "municipality_codes": ["560"], "target_group": "youth", "demand": 10},
        ],
        scope={
            "intended_effect": "Osallistujat suorittavat tutkinnon osan ja siirtyvät töihin tai opintoihin.",
            "expected_participants": 25,
            "expected_cost_cents": 8_000_000,
            "expected_outcomes": 15,
        },
        qa_deadline=(now + timedelta(days=13)).isoformat(),
        tender_deadline=(now + timedelta(days=20)).isoformat(),
    )
    created = competitions.create(session, caller=officer, data=terms, now=now)
    competitions.publish(
        session,
        caller=officer,
        competition_id=created.id,
        now=now,
        settings=settings,
        confirm_few_invitees=True,
    )
