"""The release of a mini-competition's contracting process, from its terms and what happened by then.

Pure. The terms come from the snapshot the publication or the latest amendment wrote into the outbox,
so a release shows the terms in force at its date even when it is built later.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from minicompetition.publication import ocds
from minicompetition.publication.releases import METHOD_DETAILS_CALL_OFF, Head, Org


@dataclass(frozen=True)
class Answer:
    """A published answer to a clarification question (the asker is never named)."""

    id: str
    question: str
    answer: str
    answered_at: datetime


@dataclass(frozen=True)
class BidCounts:
    """Counts of the opened bids: received (withdrawn ones leave no trace), valid, and valid per lot."""

    received: int
    valid: int
    disqualified: int
    valid_per_lot: dict[str, int]


@dataclass(frozen=True)
class Placement:
    """Participants of one lot allocated to a winner at a unit price."""

    lot: str
    volume: int
    unit_price_cents: int


@dataclass(frozen=True)
class Winner:
    """A winning supplier of the award decision and its lots."""

    supplier: Org
    placements: list[Placement]


@dataclass(frozen=True)
class AwardFacts:
    """The award decision as issued."""

    decision_id: str
    issued_at: datetime
    winners: list[Winner]
    overrides: dict[str, str]  # lot code -> the officer's reason
    standstill_over: bool


@dataclass(frozen=True)
class ContractFacts:
    """A concluded contract with one winner."""

    id: str
    supplier: Org
    concluded_at: datetime
    ended: bool
    value_ceiling_cents: int
    placements: list[Placement]


@dataclass(frozen=True)
class CompetitionFacts:
    """Everything a competition's release may show, as of the release's date."""

    terms: dict[str, Any]
    buyer: Org
    dps_ocid: str
    dps_title: str
    status: str  # active, cancelled, unsuccessful or complete
    answers: list[Answer] = field(default_factory=list)
    bids: BidCounts | None = None
    award: AwardFacts | None = None
    contracts: list[ContractFacts] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)  # cancellation or no-award documents


def competition_release(head: Head, facts: CompetitionFacts) -> dict[str, Any]:
    """The release: tender with lots and criteria, bid counts after opening, awards, contracts."""
    buyer = ocds.reference(business_id=facts.buyer.business_id, name=facts.buyer.name)
    parties = [
        ocds.organisation(
            business_id=facts.buyer.business_id, name=facts.buyer.name, roles=["buyer", "procuringEntity"]
        )
    ]
    release: dict[str, Any] = {
        "ocid": head.ocid,
        "id": head.release_id,
        "date": ocds.moment(head.date),
        "tag": head.tags,
        "initiationType": "tender",
        "buyer": buyer,
        "planning": {
            "rationale": facts.terms["scope"]["intended_effect"],
            "budget": {"amount": ocds.value(facts.terms["scope"]["expected_cost_cents"])},
        },
        "tender": _tender(facts, buyer),
        "relatedProcesses": [
            {
                "id": "dps",
                "relationship": ["framework"],
                "title": facts.dps_title,
                "scheme": "ocid",
                "identifier": facts.dps_ocid,
            }
        ],
    }
    if facts.bids is not None:
        release["bids"] = {"statistics": _statistics(facts.bids)}
    if facts.award is not None:
        release["awards"] = [_award(facts.award, w) for w in facts.award.winners]
        parties += [
            ocds.organisation(business_id=w.supplier.business_id, name=w.supplier.name, roles=["supplier"])
            for w in facts.award.winners
        ]
    if facts.contracts and facts.award is not None:
        release["contracts"] = [_contract(facts.award.decision_id, c) for c in facts.contracts]
    release["parties"] = ocds.merge_parties(parties)
    return release


def _tender(facts: CompetitionFacts, buyer: dict[str, str]) -> dict[str, Any]:
    terms = facts.terms
    tender: dict[str, Any] = {
        "id": terms["id"],
        "title": terms["title"],
        "description": terms["description"],
        "status": facts.status,
        "procuringEntity": buyer,
        "value": ocds.value(terms["budget_cents"]),
        "procurementMethod": "selective",
        "procurementMethodDetails": METHOD_DETAILS_CALL_OFF,
        "mainProcurementCategory": "services",
        "awardCriteria": "ratedCriteria",
        "awardCriteriaDetails": criteria_details(terms),
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {"startDate": terms["published_at"], "endDate": terms["tender_deadline"]},
        "enquiryPeriod": {"startDate": terms["published_at"], "endDate": terms["qa_deadline"]},
        "hasEnquiries": bool(facts.answers),
        "techniques": {"hasDynamicPurchasingSystem": True},
        "competitive": True,
        "lots": [_lot(lot) for lot in terms["lots"]],
        "items": [_lot_item(lot) for lot in terms["lots"]],
    }
    if facts.bids is not None:
        tender["numberOfTenderers"] = facts.bids.received
    if terms["amendments"]:
        tender["amendments"] = [
            {
                "id": str(a["seq"]),
                "date": a["at"],
                "rationale": a["reason"],
                "description": "Changed: " + ", ".join(sorted(a["changes"])),
            }
            for a in terms["amendments"]
        ]
    documents = [
        {
            "id": f"clarification-{a.id}",
            "documentType": "clarifications",
            "title": "Answer to a clarification question",
            "description": f"Question: {a.question}\n\nAnswer: {a.answer}",
            "datePublished": ocds.moment(a.answered_at),
        }
        for a in facts.answers
    ] + facts.notes
    if documents:
        tender["documents"] = documents
    return tender


def criteria_details(terms: dict[str, Any]) -> str:
    """The award criteria and their weights in words (basis points as percentages)."""
    weights = terms["weights"]

    def pct(bp: int) -> str:
        return f"{bp / 100:g} %"

    quality = ", ".join(f"{c['name']} {pct(c['weight_bp'])}" for c in terms["quality_criteria"])
    return (
        f"Price {pct(weights['price_bp'])}, quality {pct(weights['quality_bp'])}"
        + (f" ({quality})" if quality else "")
        + f", committed flow-through {pct(weights['outcome_bp'])}. Each criterion is scored 0-100 per lot; "
        "participants are allocated by a linear program within the budget and the allocation rules."
    )


def _lot(lot: dict[str, Any]) -> dict[str, Any]:
    limit = lot["max_unit_price_cents"]
    return {
        "id": lot["code"],
        "title": f"Lot {lot['code']}",
        "description": (
            f"Municipalities {', '.join(lot['municipality_codes'])}; target group {lot['target_group']}; "
            f"demand {lot['demand']} participants"
            + (f"; maximum unit price {ocds.amount(limit)} EUR" if limit else "")
        ),
    }


def _lot_item(lot: dict[str, Any]) -> dict[str, Any]:
    unit: dict[str, Any] = {"name": "participant"}
    if lot["max_unit_price_cents"]:
        unit["value"] = ocds.value(lot["max_unit_price_cents"])
    return {
        "id": lot["code"],
        "description": f"Participants served in lot {lot['code']}",
        "quantity": lot["demand"],
        "unit": unit,
        "relatedLot": lot["code"],
    }


def _statistics(bids: BidCounts) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"id": "bids", "measure": "bids", "value": bids.received},
        {"id": "validBids", "measure": "validBids", "value": bids.valid},
        {"id": "disqualifiedBids", "measure": "disqualifiedBids", "value": bids.disqualified},
    ]
    out += [
        {"id": f"validBids-{lot}", "measure": "validBids", "value": n, "relatedLot": lot}
        for lot, n in sorted(bids.valid_per_lot.items())
    ]
    return out


def _items(placements: list[Placement]) -> list[dict[str, Any]]:
    return [
        {
            "id": p.lot,
            "description": f"Participants served in lot {p.lot}",
            "quantity": p.volume,
            "unit": {"name": "participant", "value": ocds.value(p.unit_price_cents)},
            "relatedLot": p.lot,
        }
        for p in placements
    ]


def award_id(decision_id: str, supplier: Org) -> str:
    """An award per winning supplier of a decision."""
    return f"{decision_id}-{supplier.business_id}"


def _award(award: AwardFacts, winner: Winner) -> dict[str, Any]:
    lots = sorted({p.lot for p in winner.placements})
    out: dict[str, Any] = {
        "id": award_id(award.decision_id, winner.supplier),
        "title": f"Award to {winner.supplier.name}",
        # Pending during the standstill, in force once it has ended (OCDS awardStatus).
        "status": "active" if award.standstill_over else "pending",
        "date": ocds.moment(award.issued_at),
        "value": ocds.value(sum(p.volume * p.unit_price_cents for p in winner.placements)),
        "suppliers": [ocds.reference(business_id=winner.supplier.business_id, name=winner.supplier.name)],
        "items": _items(winner.placements),
        "relatedLots": lots,
    }
    reasons = [
        f"Lot {lot} allocated by the officer: {award.overrides[lot]}"
        for lot in lots
        if lot in award.overrides
    ]
    if reasons:
        out["description"] = " ".join(reasons)
    return out


def _contract(decision_id: str, contract: ContractFacts) -> dict[str, Any]:
    return {
        "id": contract.id,
        "awardID": award_id(decision_id, contract.supplier),
        "title": f"Contract with {contract.supplier.name}",
        "status": "terminated" if contract.ended else "active",
        "dateSigned": ocds.moment(contract.concluded_at),
        "value": ocds.value(contract.value_ceiling_cents),
        "items": _items(contract.placements),
    }
