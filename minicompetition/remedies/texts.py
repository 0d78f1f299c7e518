"""The decision documents' fixed wording, in Finnish and English, and the number formats of each."""

from datetime import date, datetime

from procurement.core.clock import to_helsinki

T: dict[str, dict[str, str]] = {
    "fi": {
        "award_title": "Hankintapäätös",
        "rect_title": "Päätös hankintaoikaisuvaatimukseen",
        "number": "Päätöksen numero",
        "buyer": "Hankintayksikkö",
        "competition": "Hankinta (minikilpailutus)",
        "category": "Palveluluokka",
        "decided_by": "Päätöksen tekijä",
        "decided_at": "Päätös tehty",
        "delivered_at": "Annettu tiedoksi sähköisesti",
        "decision": "Päätös",
        "decision_text": "Hankintayksikkö hyväksyy alla eritellyt tarjoukset erissä ja määrissä, jotka on "
        "eritelty kunkin erän kohdalla. Hankinnan yhteisarvo enintään {total}.",
        "reasons": "Perustelut",
        "reasons_text": "Tarjoukset on vertailtu tarjouspyynnössä ilmoitetuin vertailuperustein: {criteria}. "
        "Kukin peruste pisteytetään 0–100 erittäin; osallistujat on jaettu lineaarisella ohjelmalla, joka "
        "maksimoi painotettujen pisteiden summan talousarvion ja jakosääntöjen rajoissa. Vertailu #{run} "
        "({solver}), syötteen SHA-256 {sha}.",
        "price": "hinta",
        "quality": "laatu",
        "outcome": "sitoutunut läpivirtaus",
        "lot": "Erä",
        "lot_info": "Kunnat {munis}; kohderyhmä {group}; tarve {demand} osallistujaa; jaettu {awarded}.",
        "override": "Hankintayksikkö poikkesi vertailun tuloksesta tässä erässä. Perustelu: {reason}",
        "bidder": "Tarjoaja",
        "unit_price": "Hinta / osallistuja",
        "p_price": "Hinta p.",
        "p_quality": "Laatu p.",
        "p_outcome": "Tulos p.",
        "p_total": "Yhteensä",
        "rank": "Sija",
        "awarded": "Jaettu",
        "why": "Peruste",
        "ineligible": "Tarjoajat, joiden tarjous hylättiin",
        "standstill": "Odotusaika ja sopimukset",
        "standstill_text": "Hankintasopimukset tehdään aikaisintaan odotusajan päätyttyä {end} (Suomen "
        "aikaa) eikä vireillä olevan oikaisuvaatimuksen tai markkinaoikeusvalituksen aikana.",
        "notes": "Lisätiedot",
        "rect": "Oikaisuohje (hankintaoikaisu)",
        "rect_text": "Asianosainen voi vaatia hankintayksikköä oikaisemaan virheellisen päätöksen "
        "(hankintalaki 1397/2016, 132–135 §). Vaatimus tehdään hankintayksikölle {buyer} tämän palvelun "
        "kautta osoitteessa {url} 14 päivän kuluessa päätöksen tiedoksisaannista, viimeistään {last}. "
        "Vaatimuksessa ilmoitetaan päätös, johon vaaditaan oikaisua, miten päätöstä vaaditaan "
        "oikaistavaksi ja perusteet; liitteeksi voi antaa asiakirjoja.",
        "appeal": "Valitusosoitus markkinaoikeuteen",
        "appeal_text": "Tähän päätökseen tyytymätön asianosainen voi saattaa asian markkinaoikeuden "
        "käsiteltäväksi valituksella (hankintalaki 145–147 §) 14 päivän kuluessa päätöksen "
        "tiedoksisaannista, viimeistään {last}. Valituksessa ilmoitetaan päätös, johon haetaan muutosta, "
        "vaatimukset perusteineen sekä valittajan yhteystiedot; se allekirjoitetaan ja siihen liitetään "
        "tämä päätös. Valitus toimitetaan markkinaoikeudelle: {court}, {address}, sähköposti {email}, "
        "puhelin {phone}. Oikeudenkäyntimaksu on {fee} (tuomioistuinmaksulaki 1455/2015). Valituksesta "
        "on ilmoitettava kirjallisesti myös hankintayksikölle.",
        "rect_request": "Vaatimus",
        "rect_request_text": "{who} vaati {filed} oikaisua hankintapäätökseen {award}. "
        "Vaatimuksen perusteet:",
        "rect_outcome": "Ratkaisu",
        "upheld": "Vaatimus hyväksytään. Hankintapäätös {award} perutaan; kilpailutus palaa vertailuun ja "
        "hankintayksikkö tekee uuden hankintapäätöksen, joka annetaan tiedoksi kaikille tarjoajille.",
        "dismissed": "Vaatimus hylätään. Hankintapäätös {award} pysyy voimassa.",
        "page": "Sivu",
        "yes": "kyllä",
        "none": "–",
    },
    "en": {
        "award_title": "Award decision",
        "rect_title": "Decision on a request for rectification",
        "number": "Decision number",
        "buyer": "Contracting authority",
        "competition": "Procurement (mini-competition)",
        "category": "Service category",
        "decided_by": "Decided by",
        "decided_at": "Decided at",
        "delivered_at": "Delivered electronically",
        "decision": "Decision",
        "decision_text": "The contracting authority accepts the bids listed below, in the lots and volumes "
        "given for each lot. The total value of the procurement is at most {total}.",
        "reasons": "Reasons",
        "reasons_text": "The bids were compared by the award criteria announced in the invitation: "
        "{criteria}. Each criterion is scored 0–100 per lot; participants were allocated by a linear program "
        "that maximises the sum of weighted scores within the budget and the allocation rules. Evaluation "
        "run #{run} ({solver}), input SHA-256 {sha}.",
        "price": "price",
        "quality": "quality",
        "outcome": "committed flow-through",
        "lot": "Lot",
        "lot_info": "Municipalities {munis}; target group {group}; demand {demand} participants; "
        "allocated {awarded}.",
        "override": "The contracting authority departed from the evaluation's result in this lot. Reason: "
        "{reason}",
        "bidder": "Bidder",
        "unit_price": "Price / participant",
        "p_price": "Price pts",
        "p_quality": "Quality pts",
        "p_outcome": "Outcome pts",
        "p_total": "Total",
        "rank": "Rank",
        "awarded": "Awarded",
        "why": "Reason",
        "ineligible": "Bidders whose bid was excluded",
        "standstill": "Standstill and contracts",
        "standstill_text": "Contracts are concluded no earlier than the end of the standstill, {end} "
        "(Finnish time), and not while a rectification request or a Market Court appeal is pending.",
        "notes": "Further information",
        "rect": "Rectification instructions (hankintaoikaisu)",
        "rect_text": "A party may request the contracting authority to rectify an erroneous decision (Act on "
        "Public Procurement 1397/2016, sections 132–135). The request is made to {buyer} through this "
        "service at {url} within 14 days of notice of the decision, at the latest on {last}. It states the "
        "decision to be rectified, how it should be rectified and why; documents may be attached.",
        "appeal": "Appeal instructions to the Market Court",
        "appeal_text": "A party dissatisfied with this decision may appeal to the Market Court (sections "
        "145–147) within 14 days of notice of the decision, at the latest on {last}. The appeal states the "
        "decision appealed against, the claims and their grounds and the appellant's contact details; it is "
        "signed and this decision is attached. Send it to the Market Court: {court}, {address}, e-mail "
        "{email}, telephone {phone}. The court fee is {fee} (Court Fees Act 1455/2015). The contracting "
        "authority must also be informed of the appeal in writing.",
        "rect_request": "Request",
        "rect_request_text": "{who} requested on {filed} the rectification of award decision {award}. "
        "The grounds given:",
        "rect_outcome": "Outcome",
        "upheld": "The request is upheld. Award decision {award} is withdrawn; the competition returns to "
        "evaluation and the contracting authority will issue a new award decision, delivered to every "
        "bidder.",
        "dismissed": "The request is dismissed. Award decision {award} stands.",
        "page": "Page",
        "yes": "yes",
        "none": "–",
    },
}


# The engine explains in English with figures; the Finnish document words each reason by its code (the
# figures stay in the English document and on the bidder's own explanation page).
REASONS_FI: dict[str, str] = {
    "supplier_ineligible": "Tarjoaja ei ollut kelpoinen tarjousten määräaikana.",
    "incomplete": "Tarjousrivi oli puutteellinen.",
    "over_max_price": "Hinta ylitti erän enimmäishinnan.",
    "capacity": "Tarjoajan ilmoittama kapasiteetti rajasi määrää.",
    "supplier_capacity": "Tarjoajan koko kilpailutusta koskeva kapasiteetti rajasi määrää.",
    "outscored": "Paremmin pisteytetyt tarjoukset täyttivät erän tarjoajien enimmäismäärän.",
    "demand_met": "Erän tarve täyttyi paremmin sijoittuneilla tarjouksilla.",
    "budget": "Talousarvio ei riittänyt.",
    "supplier_limit": "Erän tarjoajien enimmäismäärä täyttyi.",
    "share_cap": "Yhden tarjoajan enimmäisosuus erästä rajasi määrää.",
    "min_allocation": "Vähimmäisjako ei toteutunut.",
    "no_admissible_line": "Erässä ei ollut hyväksyttävää tarjousta.",
    "not_selected": "Tarjousta ei valittu.",
}


NAMES: dict[str, dict[str, str]] = {
    "fi": {
        "general": "kaikki työnhakijat",
        "long_term_unemployed": "pitkäaikaistyöttömät",
        "youth": "nuoret",
        "over_55": "yli 55-vuotiaat",
        "immigrants": "maahanmuuttajat",
        "partial_work_ability": "osatyökykyiset",
        "EMPLOYMENT": "työllistyminen (EMPLOYMENT)",
        "COMPETENCE": "osaaminen (COMPETENCE)",
        "INCLUSION": "osallisuus (INCLUSION)",
    },
    "en": {
        "general": "all jobseekers",
        "long_term_unemployed": "long-term unemployed",
        "youth": "young people",
        "over_55": "people over 55",
        "immigrants": "immigrants",
        "partial_work_ability": "people with partial work ability",
    },
}


def name(code: str, lang: str) -> str:
    """A target group's or category's name in the language (the code itself when none is known)."""
    return NAMES[lang].get(code, code)


def reason(code: str | None, english: str, lang: str) -> str:
    """A line's reason in the document's language."""
    if lang == "fi" and code:
        return REASONS_FI.get(code, english)
    return english


def money(cents: int, lang: str) -> str:
    """Euros with two decimals: 1 234,56 € in Finnish, €1,234.56 in English."""
    whole, part = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    if lang == "fi":
        return f"{sign}{whole:,}".replace(",", "\u00a0") + f",{part:02d}\u00a0€"
    return f"{sign}€{whole:,}.{part:02d}"


def day(value: date, lang: str) -> str:
    """A date as 22.11.2026 (Finnish) or 2026-11-22 (English)."""
    return f"{value.day}.{value.month}.{value.year}" if lang == "fi" else value.isoformat()


def moment(value: datetime, lang: str) -> str:
    """A moment in Helsinki time."""
    local = to_helsinki(value)
    return f"{day(local.date(), lang)} {local:%H.%M}" if lang == "fi" else f"{local:%Y-%m-%d %H:%M}"


def percent(bp: int, lang: str) -> str:
    """Basis points as a percentage."""
    text = f"{bp / 100:g}"
    return (text.replace(".", ",") if lang == "fi" else text) + "\u00a0%"
