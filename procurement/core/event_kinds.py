"""The events the product announces: one line each (who hears of it, and its OCDS release tag if public).

Adding an event type is one line here and one `outbox.emit(...)` call where the change happens. The
audience names who is notified (resolved by `outcomes.notifications.audience`); a release tag makes the
event public: it gets an OCDS release (`minicompetition.publication`) and a line in the change feed.
"""

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    """Whom a supplier notification goes to."""

    NOBODY = "nobody"
    INVITEES = "invitees"  # every supplier invited to the competition (the publication's snapshot)
    BIDDERS = "bidders"  # every supplier whose bid was opened
    SUPPLIER = "supplier"  # the one supplier the subject belongs to (admission, contract, referral, event)
    PERIOD_SUPPLIERS = "period_suppliers"  # every supplier with payment lines in the period


@dataclass(frozen=True)
class EventKind:
    """One kind of event: its name, its audience, its OCDS release tag (None: not public)."""

    name: str
    audience: Audience
    tag: str | None = None
    title_en: str = ""
    title_fi: str = ""

    @property
    def public(self) -> bool:
        """Public events get a release and a line in the change feed."""
        return self.tag is not None


# Nobody, the supplier, inVitees, bidders.
N, S, V, B = Audience.NOBODY, Audience.SUPPLIER, Audience.INVITEES, Audience.BIDDERS
KINDS: dict[str, EventKind] = {
    k.name: k
    for k in (
        EventKind("dps.published", N, "tender", "DPS published", "DPS julkaistu"),
        EventKind("admission.admitted", S, "award", "Admitted to the DPS", "Hyväksytty DPS:ään"),
        EventKind("admission.suspended", S, "awardUpdate", "Admission suspended", "Hyväksyntä keskeytetty"),
        EventKind("admission.reinstated", S, "awardUpdate", "Suspension lifted", "Keskeytys päättyi"),
        EventKind("admission.excluded", S, "awardCancellation", "Excluded from the DPS", "Suljettu pois"),
        EventKind("competition.published", V, "tender", "Invitation to tender", "Tarjouspyyntö"),
        EventKind("competition.amended", V, "tenderAmendment", "Invitation amended", "Muutos"),
        EventKind("competition.answer_published", V, "tenderUpdate", "Answer published", "Vastaus"),
        EventKind("competition.deadline_reminder", V, None, "Tender deadline nears", "Määräaika lähestyy"),
        EventKind("competition.opened", B, "tenderUpdate", "Bids opened", "Tarjoukset avattu"),
        EventKind("competition.awarded", B, "award", "Award decision issued", "Hankintapäätös tehty"),
        EventKind("competition.award_delivered", B, "awardUpdate", "Award decision", "Hankintapäätös"),
        EventKind("competition.standstill_ended", B, "awardUpdate", "Standstill ended", "Odotusaika päättyi"),
        EventKind("competition.unsuccessful", V, "tenderUpdate", "No award", "Kilpailutus tulokseton"),
        EventKind("competition.cancelled", V, "tenderCancellation", "Cancelled", "Kilpailutus keskeytetty"),
        EventKind("contract.concluded", S, "contract", "Contract concluded", "Sopimus tehty"),
        # For the contract's completion or termination (its release shows the contract terminated).
        EventKind("contract.ended", S, "contractTermination", "Contract ended", "Sopimus päättyi"),
        EventKind("referral.made", S, None, "New referral", "Uusi ohjaus"),
        EventKind("outcome.verified", S, None, "Outcome verified", "Tulos vahvistettu"),
        EventKind("outcome.rejected", S, None, "Outcome rejected", "Tulos hylätty"),
        EventKind("payment.lines_exported", Audience.PERIOD_SUPPLIERS, None, "Payment lines", "Maksurivit"),
        # Sent to one endpoint on the supplier's request (POST /suppliers/me/webhooks/{id}/test).
        EventKind("webhook.test", S, None, "Test", "Testi"),
    )
}

# What a supplier may subscribe a webhook to: every kind with an audience.
SUBSCRIBABLE = tuple(
    name for name, kind in KINDS.items() if kind.audience is not Audience.NOBODY and name != "webhook.test"
)
