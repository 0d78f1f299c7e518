"""OCDS releases from facts as they were at the event: the DPS's process and each mini-competition's.

Pure: the facts are read by `facts.py`. Nothing personal is ever an input here (no participant, no
person, no contact), and a bid contributes only counts, and only once the bids are opened.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from minicompetition.publication import ocds

METHOD_DETAILS_DPS = "Dynamic purchasing system (dynaaminen hankintajärjestelmä)"
METHOD_DETAILS_CALL_OFF = "Mini-competition under a dynamic purchasing system (minikilpailutus)"


@dataclass(frozen=True)
class Org:
    """An organisation by its business id."""

    business_id: str
    name: str


@dataclass(frozen=True)
class Head:
    """What every release carries: its process, its id, its date and tags."""

    ocid: str
    release_id: str
    date: datetime
    tags: list[str]


@dataclass(frozen=True)
class AdmissionAward:
    """An admission to a DPS category, published as an award of the DPS's process."""

    id: str
    supplier: Org
    category: str
    admitted_at: datetime
    status: str  # active or cancelled
    note: str


@dataclass(frozen=True)
class DpsFacts:
    """The DPS as the release shows it."""

    id: str
    title: str
    valid_from: date
    valid_until: date
    lead: Org
    members: list[Org]
    categories: list[tuple[str, str, str]]  # code, Finnish name, English name
    awards: list[AdmissionAward] = field(default_factory=list)


def _head(head: Head) -> dict[str, Any]:
    return {
        "ocid": head.ocid,
        "id": head.release_id,
        "date": ocds.moment(head.date),
        "tag": head.tags,
        "initiationType": "tender",
    }


def dps_release(head: Head, facts: DpsFacts) -> dict[str, Any]:
    """A release of the DPS's contracting process: the DPS as a tender, admissions as its awards."""
    lead = ocds.reference(business_id=facts.lead.business_id, name=facts.lead.name)
    parties = [
        ocds.organisation(
            business_id=facts.lead.business_id, name=facts.lead.name, roles=["buyer", "procuringEntity"]
        )
    ]
    parties += [
        ocds.organisation(business_id=m.business_id, name=m.name, roles=["buyer"]) for m in facts.members
    ]
    parties += [
        ocds.organisation(business_id=a.supplier.business_id, name=a.supplier.name, roles=["supplier"])
        for a in facts.awards
    ]
    release = _head(head) | {
        "buyer": lead,
        "tender": {
            "id": facts.id,
            "title": facts.title,
            "status": "active" if head.date.date() <= facts.valid_until else "complete",
            "procuringEntity": lead,
            "procurementMethod": "selective",
            "procurementMethodDetails": METHOD_DETAILS_DPS,
            "mainProcurementCategory": "services",
            "submissionMethod": ["electronicSubmission"],
            "tenderPeriod": {
                "startDate": ocds.day_start(facts.valid_from),
                "endDate": ocds.day_end(facts.valid_until),
            },
            "techniques": {"hasDynamicPurchasingSystem": True, "dynamicPurchasingSystem": {"type": "closed"}},
            "lots": [
                {"id": code, "title": name_en, "description": name_fi}
                for code, name_fi, name_en in facts.categories
            ],
        },
    }
    if facts.awards:
        release["awards"] = [
            {
                "id": a.id,
                "title": f"Admission to category {a.category}",
                "description": a.note,
                "status": a.status,
                "date": ocds.moment(a.admitted_at),
                "suppliers": [ocds.reference(business_id=a.supplier.business_id, name=a.supplier.name)],
                "relatedLots": [a.category],
            }
            for a in facts.awards
        ]
    release["parties"] = ocds.merge_parties(parties)
    return release
