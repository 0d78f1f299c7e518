"""The decision document: the same facts give the same bytes; archival PDF; escaped HTML; both languages."""

import hashlib
from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from minicompetition.remedies.compose import award_blocks, rectification_blocks
from minicompetition.remedies.document import (
    AwardFacts,
    Court,
    Criterion,
    Line,
    LotPart,
    Parties,
    RectificationFacts,
    Remedies,
)
from minicompetition.remedies.render import printable, to_html, to_pdf
from minicompetition.remedies.texts import money

AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PARTIES = Parties(
    number="ABCDEF12/1",
    buyer_name="Lahden kaupunki",
    buyer_business_id="0149614-7",
    competition_title="Työllisyyspalvelut <Lahti> & Hollola",
    competition_id="abcdef12-0000-0000-0000-000000000000",
    category="EMPLOYMENT",
    decided_by="Hankintapäällikkö Äijälä",
    decided_at=AT,
    delivered_at=AT,
)
REMEDIES = Remedies(
    rectification_last_day=date(2026, 12, 18),
    appeal_last_day=date(2026, 12, 18),
    rectification_url="https://dpr.example.fi/ui/decisions/x",
    court=Court(
        "Markkinaoikeus",
        "Market Court",
        "Radanrakentajantie 5, 00520 Helsinki",
        "mao@example.fi",
        "029 1",
        227_000,
    ),
)


def _line(name: str, rank: int, awarded: int) -> Line:
    return Line(name, "1234567-8", 250_000, "80.0000", "70.0000", "90.0000", "79.5000", rank, awarded, "")


FACTS = AwardFacts(
    parties=PARTIES,
    criteria=(
        Criterion("price", 5000),
        Criterion("quality", 3000, (("Menetelmä", 6000),)),
        Criterion("outcome", 2000),
    ),
    run_seq=2,
    solver="HiGHS 1.11",
    input_sha256="0" * 64,
    lots=tuple(
        LotPart(
            f"L{i}", ("398",), "youth", 40, 40, tuple(_line(f"Valmennus {j} Oy", j, 10) for j in range(1, 5))
        )
        for i in range(1, 9)
    ),
    ineligible=(("Hylätty Oy", "7654321-0", "Verovelkatodistus puuttui."),),
    total_value_cents=80_000_000,
    standstill_ends_at=datetime(2026, 12, 18, 12, 0, tzinfo=UTC),
    remedies=REMEDIES,
)


def test_the_same_facts_give_the_same_pdf_bytes_and_its_page_count() -> None:
    first, pages = to_pdf(
        award_blocks(FACTS, "fi"), lang="fi", title="Hankintapäätös", created_at=AT, author="x"
    )
    second, _ = to_pdf(
        award_blocks(FACTS, "fi"), lang="fi", title="Hankintapäätös", created_at=AT, author="x"
    )
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    assert pages == 2  # eight lots of four lines each, A4 portrait
    # PDF/A-2u: the XMP identification and the sRGB output intent; fonts embedded, never the standard 14.
    assert b"<pdfaid:part>2</pdfaid:part>" in first and b"<pdfaid:conformance>U</pdfaid:conformance>" in first
    assert b"/OutputIntents" in first and b"/FontFile2" in first and b"/Helvetica" not in first


def test_html_is_escaped_and_complete_in_both_languages() -> None:
    fi = to_html(award_blocks(FACTS, "fi"), lang="fi", title="Hankintapäätös")
    en = to_html(award_blocks(FACTS, "en"), lang="en", title="Award decision")
    assert "Työllisyyspalvelut &lt;Lahti&gt; &amp; Hollola" in fi and "<Lahti>" not in fi
    assert '<html lang="fi">' in fi and '<html lang="en">' in en
    assert "viimeistään 18.12.2026" in fi and "at the latest on 2026-12-18" in en
    assert "Hylätty Oy (7654321-0)" in fi and "Verovelkatodistus puuttui." in en
    assert "hinta 50\u00a0%, laatu 30\u00a0% (Menetelmä 60\u00a0%), sitoutunut läpivirtaus 20\u00a0%" in fi
    assert money(227_000, "fi") == "2\u00a0270,00\u00a0€" and money(227_000, "en") == "€2,270.00"


def test_reasons_are_worded_in_the_documents_language() -> None:
    line = Line(
        "Valmennus 4 Oy",
        "1234567-8",
        260_000,
        "1",
        "1",
        "1",
        "1",
        4,
        0,
        "outscored: rank 4 of 4 in lot L1, the lot's limit of 3 was reached",
        "outscored",
    )
    lot = LotPart("L1", ("398",), "youth", 30, 30, (line,))
    facts = AwardFacts(**{**FACTS.__dict__, "lots": (lot,)})
    fi = to_html(award_blocks(facts, "fi"), lang="fi", title="x")
    en = to_html(award_blocks(facts, "en"), lang="en", title="x")
    assert "Paremmin pisteytetyt tarjoukset täyttivät erän tarjoajien enimmäismäärän." in fi
    assert "outscored: rank 4 of 4" not in fi and "outscored: rank 4 of 4 in lot L1" in en


def test_the_rectification_decision_says_what_follows() -> None:
    facts = RectificationFacts(
        parties=PARTIES,
        award_number="ABCDEF12/1",
        requester="Valmennus 4 Oy (1234567-8)",
        filed_at=AT,
        request_reasons="Pisteet väärin.",
        outcome="upheld",
        reasons="Virhe korjataan.",
        remedies=REMEDIES,
    )
    fi = to_html(rectification_blocks(facts, "fi"), lang="fi", title="x")
    assert "Vaatimus hyväksytään. Hankintapäätös ABCDEF12/1 perutaan" in fi
    en = to_html(rectification_blocks(facts, "en"), lang="en", title="x")
    assert "The request is upheld. Award decision ABCDEF12/1 is withdrawn" in en


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=300), st.text(min_size=1, max_size=80))
def test_any_text_renders_and_what_the_font_lacks_is_marked(grounds: str, requester: str) -> None:
    facts = RectificationFacts(
        parties=PARTIES,
        award_number="ABCDEF12/1",
        requester=requester,
        filed_at=AT,
        request_reasons=grounds,
        outcome="dismissed",
        reasons="Pisteytys oli oikea.",
        remedies=REMEDIES,
    )
    pdf, pages = to_pdf(rectification_blocks(facts, "fi"), lang="fi", title="x", created_at=AT, author="x")
    assert pdf.startswith(b"%PDF-") and pages >= 1
    assert printable("Kiitos 🙂\tnyt") == "Kiitos \ufffd nyt"
