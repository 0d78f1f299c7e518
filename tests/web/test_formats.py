"""Dates, money and percentages as a Finn reads them; deadlines in Europe/Helsinki."""

from datetime import UTC, date, datetime

from procurement.app.web.i18n import (
    fmt_bp,
    fmt_date,
    fmt_datetime,
    fmt_money,
    fmt_number,
    language,
    translations,
)

NBSP = "\u00a0"


def test_money_in_finnish_and_english() -> None:
    assert fmt_money(123_456) == f"1{NBSP}234,56{NBSP}€"
    assert fmt_money(123_456, "en") == "€1,234.56"
    assert fmt_money(5) == f"0,05{NBSP}€"
    assert fmt_money(None) == "–"


def test_dates_are_day_month_year_in_helsinki() -> None:
    assert fmt_date(date(2026, 11, 22)) == "22.11.2026"
    # 22.30 UTC on 31 December is already New Year's Day in Helsinki (UTC+2 in winter).
    assert fmt_date(datetime(2026, 12, 31, 22, 30, tzinfo=UTC)) == "1.1.2027"


def test_deadlines_show_helsinki_time_in_summer_and_winter() -> None:
    assert fmt_datetime(datetime(2026, 11, 22, 13, 0, tzinfo=UTC)) == "22.11.2026 klo 15.00"
    assert fmt_datetime(datetime(2026, 6, 30, 9, 5, tzinfo=UTC)) == "30.6.2026 klo 12.05"
    assert fmt_datetime(datetime(2026, 6, 30, 9, 5, tzinfo=UTC), "en") == "30.6.2026 12:05"


def test_percentages_and_counts() -> None:
    assert fmt_bp(8000) == f"80,0{NBSP}%"
    assert fmt_bp(7525, "en") == "75.2%"
    assert fmt_number(1234) == f"1{NBSP}234"


def test_finnish_is_the_default_language_and_catalogs_translate() -> None:
    assert language(None) == "fi" and language("sv") == "fi" and language("en") == "en"
    assert translations("fi").gettext("Sign in") == "Kirjaudu sisään"
    assert translations("en").gettext("Sign in") == "Sign in"
