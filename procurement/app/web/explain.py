# ruff: noqa: E501 (a table of sentences reads best one per line)
"""Refusals and engine reasons in the reader's language: known sentences by pattern, the rest by kind.

The services speak English (their messages are the API's problem details). A page in Finnish shows a
Finnish sentence for every refusal a page can meet; a sentence without a pattern here falls back to a
Finnish explanation of its kind (with the service's own words kept apart, marked as English).
"""

import re
from dataclasses import dataclass

from procurement.app.web import labels
from procurement.app.web.i18n import gettext
from procurement.app.web.messages import N_
from procurement.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    Unauthenticated,
    Unavailable,
)

# (English pattern, Finnish template): the groups are data (dates, codes, numbers) and are kept as sent.
DETAILS_FI: tuple[tuple[str, str], ...] = (
    (
        r"The bids open only after the tender deadline (?P<at>.+)\.",
        "Tarjoukset avataan vasta tarjousten määräajan {at} jälkeen.",
    ),
    (
        r"The tender deadline passed at (?P<at>.+?); (?P<what>.+) is no longer possible\.",
        "Tarjousten määräaika päättyi {at}; tätä ei voi enää tehdä.",
    ),
    (r"Questions closed at (?P<at>.+)\.", "Kysymysaika päättyi {at}."),
    (
        r"The question deadline has passed; edit the draft's deadlines before publishing\.",
        "Kysymysaika on jo päättynyt; muuta luonnoksen määräaikoja ennen julkaisua.",
    ),
    (
        r"The month (?P<m>\S+) ends on (?P<d>\S+); close its period after that\.",
        "Kuukausi {m} päättyy {d}; maksukauden voi sulkea vasta sen jälkeen.",
    ),
    (
        r"Close the period (?P<p>\S+) first: periods close in month order\.",
        "Sulje ensin maksukausi {p}: kaudet suljetaan kuukausijärjestyksessä.",
    ),
    (r"Your authority already has the period (?P<p>\S+)\.", "Viranomaisellasi on jo maksukausi {p}."),
    (
        r"The period (?P<p>\S+) is already closed; a new period must be for a later month\.",
        "Maksukausi {p} on jo suljettu; uuden kauden on oltava myöhemmältä kuukaudelta.",
    ),
    (r"A rejection needs its reason\.", "Hylkäys tarvitsee perustelun."),
    (
        r"Decide every category asked for, and only those: (?P<c>.+)\.",
        "Ratkaise jokainen haettu luokka ja vain ne: {c}.",
    ),
    (r"Categories both admitted and rejected: (?P<c>.+)\.", "Sama luokka sekä hyväksytty että hylätty: {c}."),
    (r"A suspension must last at least until today\.", "Keskeytyksen on kestettävä vähintään tähän päivään."),
    (
        r"The question is already answered; publish any correction as an amendment\.",
        "Kysymykseen on jo vastattu; julkaise mahdollinen korjaus muutoksena.",
    ),
    (r"An amendment changes at least one term\.", "Muutoksen on muutettava vähintään yhtä ehtoa."),
    (
        r"The awarded volume of lot (?P<l>\S+) is used up \((?P<u>\d+) of (?P<v>\d+)\)\.",
        "Osan {l} hankittu määrä on käytetty ({u}/{v}).",
    ),
    (
        r"The participant already has an active referral in category (?P<c>\S+) \(referral (?P<r>\S+)\); end it first\.",
        "Osallistujalla on jo voimassa oleva ohjaus luokassa {c}; päätä se ensin.",
    ),
    (
        r"Lot (?P<l>\S+) does not serve the participant's home municipality (?P<m>\d+); it serves (?P<s>.+)\.",
        "Osa {l} ei palvele osallistujan kotikuntaa {m}; se palvelee kuntia {s}.",
    ),
    (r"No (?P<what>.+) has that id\.", "Tunnisteella ei löydy mitään, mitä sinulla on oikeus nähdä."),
    (
        r"No (?P<what>.+) of your authority has that id\.",
        "Viranomaisellasi ei ole tällä tunnisteella mitään.",
    ),
    (
        r"The competition has not been evaluated yet; results appear after the first run\.",
        "Kilpailutusta ei ole vielä vertailtu; tulokset näkyvät ensimmäisen vertailun jälkeen.",
    ),
    (
        r"The competition is '(?P<s>[a-z_]+)'; no award decision has been issued\.",
        "Kilpailutus on tilassa {s:state}; hankintapäätöstä ei ole annettu.",
    ),
    (
        r"The competition is '(?P<s>[a-z_]+)'; only drafts are edited\. Amend it instead\.",
        "Kilpailutus on tilassa {s:state}; vain luonnosta voi muokata. Tee muutos sen sijaan.",
    ),
    (
        r"The competition is '(?P<s>[a-z_]+)'; it takes no questions\.",
        "Kilpailutus on tilassa {s:state}; siihen ei voi enää esittää kysymyksiä.",
    ),
    (r"The token is not valid \(unknown or revoked\)\.", "Tunniste ei kelpaa (tuntematon tai peruttu)."),
    (r"A quality score is a whole number\.", "Laatupisteet ovat kokonaisluku."),
    (r"Enter at least one score\.", "Anna vähintään yhdet pisteet."),
    (r"A volume is a whole number of participants\.", "Määrä on kokonainen osallistujamäärä."),
    (r"An allocation is at least one participant\.", "Jaossa on vähintään yksi osallistuja."),
    (
        r"Lot (?P<l>\S+) gets (?P<n>\d+) participants, over its demand (?P<d>\d+)\.",
        "Osalle {l} jaetaan {n} osallistujaa, yli sen tarpeen {d}.",
    ),
    (
        r"Lot (?P<l>\S+) gets (?P<n>\d+) suppliers, over the announced limit of (?P<k>\d+)\.",
        "Osalle {l} valitaan {n} palveluntuottajaa, yli ilmoitetun enimmäismäärän {k}.",
    ),
    (
        r"The DPS requires evidence that is missing: (?P<e>.+)\.",
        "Järjestelmä vaatii puuttuvat selvitykset: {e}.",
    ),
    (r"The evidence cannot be issued in the future\.", "Selvityksen päiväys ei voi olla tulevaisuudessa."),
    (
        r"The evidence expired on (?P<d>\S+); send a current document\.",
        "Selvitys vanheni {d}; lähetä voimassa oleva asiakirja.",
    ),
    (r"Business id (?P<b>\S+) is already registered.*", "Y-tunnus {b} on jo rekisteröity."),
    (r"Enter a valid business id.*|.*is not a valid business id.*", "Y-tunnus ei kelpaa (esim. 0737546-2)."),
    (
        r"The form was not sent by this browser's page; reload it\.",
        "Lomaketta ei lähetetty tämän selaimen sivulta; lataa sivu uudelleen.",
    ),
    (r"No page has this address\.", "Tällä osoitteella ei ole sivua."),
    (r"Webhook URLs use https\.", "Osoitteen on alettava https://."),
    (
        r"The webhook URL is refused: the host (?P<h>\S+) (?:cannot be resolved|resolves to .+)\.",
        "Osoitetta ei hyväksytä: palvelinta {h} ei löydy, tai se on sisäverkossa.",
    ),
    (
        r"A webhook URL names a host and carries no credentials\.",
        "Osoitteessa on palvelimen nimi eikä tunnuksia tai salasanoja.",
    ),
    (
        r"A supplier has at most (?P<n>\d+) endpoints; delete one first\.",
        "Osoitteita voi olla enintään {n}; poista ensin jokin.",
    ),
    (
        r"Amendment (?P<s>[\d, ]+) changed the quality sub-criteria after your bid; .*",
        "Muutos {s} muutti laadun osatekijöitä tarjouksesi jälkeen: lähetä tarjous uudelleen ja vastaa jokaiseen osatekijään.",
    ),
    (
        r"Your price to win is shown once the award decision on this evaluation run is issued; .*",
        "Voittava hinta näytetään, kun tämän vertailun hankintapäätös on annettu.",
    ),
    (
        r"Something went wrong on our side; nothing was saved\. Try again, and tell the support if it persists\.",
        "Palvelussa tapahtui virhe, eikä mitään tallennettu. Yritä uudelleen ja ota yhteyttä tukeen, jos virhe toistuu.",
    ),
)
_COMPILED = tuple((re.compile(en), fi) for en, fi in DETAILS_FI)

# What to do, by kind of refusal: always in the reader's language.
ADVICE = {
    Unauthenticated: N_("Sign in again with your token."),
    Forbidden: N_("Your role cannot do this. Choose another task from the menu."),
    NotFound: N_(
        "The item does not exist or is outside what you may see. Go back to the list and choose again."
    ),
    IllegalTransition: N_(
        "The item is no longer in a state that allows this. Reload the page to see what can be done now."
    ),
    Conflict: N_("This cannot be done now. Reload the page to see the current situation."),
    InvalidInput: N_("Check the values you entered and try again."),
    Unavailable: N_("The service is busy or under maintenance. Try again in a moment."),
    DomainError: N_("The request was refused. Go back and try again."),
}


@dataclass(frozen=True)
class Shown:
    """A refusal as a page shows it: a sentence in the reader's language and, when none, the original."""

    text: str
    original: str | None


def _fill(template: str, groups: dict[str, str], lang: str) -> str:
    def one(match: re.Match[str]) -> str:
        name, _, kind = match.group(1).partition(":")
        value = groups.get(name) or ""
        return gettext(lang, labels.label(kind, value)) if kind else value

    return re.sub(r"\{([a-z_]+(?::[a-z_]+)?)\}", one, template)


def sentence(detail: str, lang: str) -> str | None:
    """A known English sentence in the language, or None."""
    if lang == "en":
        return detail
    for pattern, finnish in _COMPILED:
        found = pattern.fullmatch(detail.strip())
        if found:
            return _fill(finnish, found.groupdict(), lang)
    return None


def transition(exc: IllegalTransition, lang: str) -> str:
    """'It is now “closed”; this step is not possible in that state' in the language."""
    current = gettext(lang, labels.label("state", exc.extra.get("current_state")))
    return gettext(lang, N_("It is now “%(current)s”; this step is not possible in that state.")) % {
        "current": current
    }


def refusal(exc: DomainError, lang: str) -> Shown:
    """How a page shows a refusal."""
    known = sentence(exc.detail, lang)
    if known is not None:
        return Shown(known, None)
    if isinstance(exc, IllegalTransition) and exc.extra.get("current_state"):
        return Shown(transition(exc, lang), exc.detail)
    kind = next(k for k in ADVICE if isinstance(exc, k))
    return Shown(gettext(lang, ADVICE[kind]), exc.detail)


def advice(exc: DomainError, lang: str) -> str:
    """What the reader can do next."""
    kind = next(k for k in ADVICE if isinstance(exc, k))
    return gettext(lang, ADVICE[kind])


# Why a competition ended without a winner (the service's words; an officer's own reason is shown as typed).
UNSUCCESSFUL_FI: tuple[tuple[str, str], ...] = (
    (
        r"no admissible bid: no bid was received by the tender deadline",
        "Ei hyväksyttävää tarjousta: yhtään tarjousta ei saatu määräaikaan mennessä.",
    ),
    (
        r"no admissible bid: none of the (?P<n>\d+) bids could be opened \(see each one's reason\)",
        "Ei hyväksyttävää tarjousta: yhtäkään {n} tarjouksesta ei voitu hyväksyä (kunkin syy näkyy tarjouksen kohdalla).",
    ),
    (
        r"no admissible bid: .*",
        "Ei hyväksyttävää tarjousta: yksikään tarjousrivi ei täyttänyt ehtoja (rivikohtaiset syyt näkyvät vertailussa).",
    ),
    (
        r"no winner: no allocation meets the competition's rules.*",
        "Ei voittajaa: mikään jako ei täytä kilpailutuksen sääntöjä (osakohtaiset syyt näkyvät vertailussa).",
    ),
    (r"no winner: (?P<why>.+)", "Ei voittajaa: {why}"),  # the buying officer's own words
)
_UNSUCCESSFUL_COMPILED = tuple((re.compile(en, re.S), fi) for en, fi in UNSUCCESSFUL_FI)


def unsuccessful(text: str | None, lang: str) -> str:
    """Why a competition has no winner, in the reader's language (an officer's own words as written)."""
    if not text:
        return "–"
    if lang == "fi":
        for pattern, finnish in _UNSUCCESSFUL_COMPILED:
            found = pattern.fullmatch(text.strip())
            if found:
                return _fill(finnish, found.groupdict(), lang)
    return text


# Engine reasons: code → a Finnish sentence; patterns keep the numbers of the English sentence.
REASONS = {
    "supplier_ineligible": N_("The supplier was not eligible at the tender deadline."),
    "incomplete": N_("The line is incomplete."),
    "over_max_price": N_("The unit price is over the lot's maximum unit price."),
    "capacity": N_("The line's capacity is below the minimum allocation."),
    "supplier_capacity": N_("The supplier-wide capacity was used up in other lots."),
    "outscored": N_("Outscored: the lot's limit of suppliers was reached by higher-ranked lines."),
    "demand_met": N_("The lot's demand was already met by higher-ranked lines."),
    "budget": N_("The budget was used up."),
    "supplier_limit": N_("Not selected: the lot's limit of suppliers was reached."),
    "not_selected": N_("Not selected in the allocation."),
    "share_cap": N_("Limited by the largest share of a lot for one supplier."),
    "unmet_demand": N_("Part of the lot's demand stays unmet."),
    "min_allocation": N_("Limited by the smallest allocation a line may get."),
    "no_admissible_line": N_("The lot had no admissible line."),
}

REASON_PATTERNS_FI: tuple[tuple[str, str], ...] = (
    (
        r"outscored: rank (?P<r>\d+) of (?P<n>\d+) in lot (?P<l>\S+), the lot's limit of (?P<k>\d+) suppliers? was reached",
        "Pisteet eivät riittäneet: sija {r}/{n} osassa {l}; osan enintään {k} palveluntuottajan raja täyttyi.",
    ),
    (
        r"lot demand already met by (?:higher-ranked|other) lines.*: all (?P<d>\d+) participants of lot (?P<l>\S+) are allocated",
        "Osan {l} koko tarve ({d} osallistujaa) jaettiin paremmin sijoittuneille riveille.",
    ),
    (
        r"budget exhausted: (?P<left>.+?) of the budget remains, less than the minimum allocation (?P<m>\d+) × (?P<p>.+?) = (?P<t>.+?) \(rank (?P<r>\d+) of (?P<n>\d+) in lot (?P<l>\S+)\)",
        "Budjetti loppui: jäljellä {left}, vähemmän kuin pienin jako {m} × {p} = {t} (sija {r}/{n} osassa {l}).",
    ),
    (
        r"capacity: the line's capacity (?P<c>\d+) is below the minimum allocation (?P<m>\d+)",
        "Kapasiteetti: rivin kapasiteetti {c} on pienempi kuin pienin jako {m}.",
    ),
    (
        r"over the lot's maximum unit price.*|unit price .* over the maximum.*",
        "Yksikköhinta ylittää osan enimmäishinnan.",
    ),
)
_REASONS_COMPILED = tuple((re.compile(en), fi) for en, fi in REASON_PATTERNS_FI)


def reason(text: str | None, code: str | None, lang: str) -> str:
    """An engine reason in the language: the English sentence, a Finnish pattern, or its code's sentence."""
    if not text and not code:
        return "–"
    if lang == "en":
        return text or gettext(lang, REASONS.get(code or "", N_("Not selected in the allocation.")))
    for pattern, finnish in _REASONS_COMPILED:
        found = pattern.fullmatch((text or "").strip())
        if found:
            return _fill(finnish, found.groupdict(), lang)
    return gettext(lang, REASONS.get(code or "", N_("Not selected in the allocation.")))
