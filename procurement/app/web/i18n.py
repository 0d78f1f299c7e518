"""Languages and formats: Finnish by default, English on request; dates and money as a Finn reads them."""

import io
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

from procurement.core.clock import to_helsinki

LANGUAGES = ("fi", "en")
DEFAULT_LANGUAGE = "fi"
SOURCE_LANGUAGE = "en"  # the language of the msgids
LANG_COOKIE = "dpr_lang"
LOCALE_DIR = Path(__file__).parent / "locale"
_BABEL_LOCALE = {"fi": "fi_FI", "en": "en_GB"}


def language(value: str | None) -> str:
    """A supported language code; anything else falls back to Finnish."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


@cache
def translations(lang: str) -> NullTranslations:
    """The language's catalog, compiled in memory from its .po file (no build step, no .mo in git)."""
    if lang == SOURCE_LANGUAGE:
        return NullTranslations()  # the messages are written in English: nothing to translate
    merged: Translations | None = None
    # messages.po holds the pages' words; the other files one area each (labels, reasons, problems).
    for path in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=_BABEL_LOCALE[lang])
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = Translations(buffer)
        merged = part if merged is None else merged.merge(part)
    return merged or NullTranslations()


def catalog_paths(lang: str = DEFAULT_LANGUAGE) -> list[Path]:
    """The .po files of a language."""
    return sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"))


def gettext(lang: str, message: str) -> str:
    """One message in a language."""
    return translations(language(lang)).gettext(message)


def fmt_date(value: date | datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """22.11.2026 (a moment is first moved to Europe/Helsinki)."""
    if value is None:
        return "–"
    day = to_helsinki(value).date() if isinstance(value, datetime) else value
    return f"{day.day}.{day.month}.{day.year}"


def fmt_datetime(value: datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """22.11.2026 klo 15.00 (Finnish) or 22.11.2026 15:00 (English), in Europe/Helsinki."""
    if value is None:
        return "–"
    local = to_helsinki(value)
    if lang == "fi":
        return f"{fmt_date(local)} klo {local.hour}.{local.minute:02d}"
    return f"{fmt_date(local)} {local.hour:02d}:{local.minute:02d}"


def fmt_money(cents: int | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """1 234,56 € in Finnish, €1,234.56 in English, from integer cents."""
    if cents is None:
        return "–"
    return format_currency(Decimal(cents) / 100, "EUR", locale=_BABEL_LOCALE[language(lang)])


def fmt_bp(bp: int | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """Basis points as a percentage: 8000 → 80,0 %."""
    if bp is None:
        return "–"
    number = format_decimal(Decimal(bp) / 100, format="0.0", locale=_BABEL_LOCALE[language(lang)])
    return f"{number}\u00a0%" if lang == "fi" else f"{number}%"


def fmt_number(value: int | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """An integer with the language's grouping: 1 234."""
    return "–" if value is None else format_decimal(value, locale=_BABEL_LOCALE[language(lang)])


def fmt_points(units: int | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """Score units (1 000 000 = 100 points) as points with two decimals: 958333 → 95,83."""
    if units is None:
        return "–"
    return format_decimal(Decimal(units) / 10_000, format="0.00", locale=_BABEL_LOCALE[language(lang)])
