"""What a decision document says, as plain frozen data: built from the database, rendered as PDF and HTML."""

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Court:
    """The Market Court's contact details and fee, from configuration; its name in each document language."""

    name_fi: str
    name_en: str
    address: str
    email: str
    phone: str
    fee_cents: int

    def name(self, lang: str) -> str:
        """The court's name in the document's language."""
        return self.name_fi if lang == "fi" else self.name_en


@dataclass(frozen=True)
class Criterion:
    """An award criterion and its weight (basis points)."""

    name: str
    weight_bp: int
    sub: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Line:
    """One bidder's line in a lot: its price, criterion scores, rank, award and the reason."""

    bidder: str
    business_id: str
    unit_price_cents: int
    price_score: str
    quality_score: str
    outcome_score: str
    total_points: str
    rank: int | None
    awarded: int
    reason: str
    reason_code: str | None = None  # the engine's code: the Finnish document words the reason by it


@dataclass(frozen=True)
class LotPart:
    """A lot: what was asked for, the comparison of its lines, and the officer's override, if any."""

    code: str
    municipalities: tuple[str, ...]
    target_group: str
    demand: int
    awarded: int
    lines: tuple[Line, ...]
    override_reason: str | None = None


@dataclass(frozen=True)
class Parties:
    """Who decided, and about what."""

    number: str
    buyer_name: str
    buyer_business_id: str
    competition_title: str
    competition_id: str
    category: str
    decided_by: str
    decided_at: datetime
    delivered_at: datetime


@dataclass(frozen=True)
class Remedies:
    """The rectification and appeal instructions' dates, addressee and court."""

    rectification_last_day: date
    appeal_last_day: date
    rectification_url: str
    court: Court


@dataclass(frozen=True)
class AwardFacts:
    """The award decision (hankintapäätös)."""

    parties: Parties
    criteria: tuple[Criterion, ...]
    run_seq: int
    solver: str
    input_sha256: str
    lots: tuple[LotPart, ...]
    ineligible: tuple[tuple[str, str, str], ...]  # bidder, business id, reason
    total_value_cents: int
    standstill_ends_at: datetime
    remedies: Remedies
    notes: str = ""


@dataclass(frozen=True)
class RectificationFacts:
    """The decision on a rectification request (päätös hankintaoikaisuvaatimukseen)."""

    parties: Parties
    award_number: str
    requester: str
    filed_at: datetime
    request_reasons: str
    outcome: str  # upheld or dismissed
    reasons: str
    remedies: Remedies
    withdrawn: bool = field(default=False)
