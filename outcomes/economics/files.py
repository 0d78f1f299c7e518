"""Forecast against actual as files: CSV for Finnish Excel, XLSX, and a PNG chart with Finnish labels."""

import csv
import io
from collections import defaultdict
from typing import Literal

import xlsxwriter

from outcomes.economics.schemas import ActualsOut
from procurement.core.money import format_plain

ActualsFormat = Literal["csv-fi", "xlsx"]
MEDIA_TYPES: dict[str, str] = {
    "csv-fi": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
UTF8_BOM = "\ufeff"
HEADERS = (
    "Sopimus",
    "Palveluntuottaja",
    "Kunta",
    "Kuukausi",
    "Maksettu (€)",
    "Tulokset",
    "Työllistymiset",
    "Vältetty etuusvastuu (€)",
    "Ennuste: kustannus (€)",
    "Ennuste: vältetty etuusvastuu (€)",
    "Ero: kustannus (€)",
    "Ero: vältetty etuusvastuu (€)",
)
_MONEY = (
    "paid_cents",
    "avoided_liability_cents",
    "forecast_cost_cents",
    "forecast_avoided_cents",
    "cost_gap_cents",
    "avoided_gap_cents",
)


def _values(report: ActualsOut) -> list[list[object]]:
    return [
        [
            str(r.contract_id),
            r.supplier_name,
            r.municipality_code,
            r.month,
            r.paid_cents,
            r.outcomes,
            r.employment_starts,
            r.avoided_liability_cents,
            r.forecast_cost_cents,
            r.forecast_avoided_cents,
            r.cost_gap_cents,
            r.avoided_gap_cents,
        ]
        for r in report.rows
    ]


_MONEY_COLUMNS = (4, 7, 8, 9, 10, 11)


def write_csv_fi(report: ActualsOut) -> bytes:
    """UTF-8 with BOM, ';' and decimal commas: what Finnish Excel opens; the same bytes each time."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for values in _values(report):
        writer.writerow(
            [
                format_plain(int(str(v)), decimal_separator=",") if i in _MONEY_COLUMNS else v
                for i, v in enumerate(values)
            ]
        )
    return (UTF8_BOM + out.getvalue()).encode("utf-8")


def write_xlsx(report: ActualsOut) -> bytes:
    """One sheet of rows (euros as numbers with two decimals) and a totals row."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    # A fixed creation date keeps the file the same for the same data.
    book.set_properties({"title": "Ennuste ja toteuma", "created": None})
    sheet = book.add_worksheet("Ennuste ja toteuma")
    bold = book.add_format({"bold": True})
    euros = book.add_format({"num_format": "# ##0.00"})
    sheet.write_row(0, 0, HEADERS, bold)
    rows = _values(report)
    for y, values in enumerate(rows, start=1):
        for x, value in enumerate(values):
            if x in _MONEY_COLUMNS:
                sheet.write_number(y, x, int(str(value)) / 100, euros)
            elif isinstance(value, int):
                sheet.write_number(y, x, value)
            else:
                sheet.write_string(y, x, str(value))
    total = len(rows) + 1
    sheet.write_string(total, 0, "Yhteensä", bold)
    for x in (*_MONEY_COLUMNS, 5, 6):
        cells = sum(int(str(r[x])) for r in rows)
        sheet.write_number(
            total, x, cells / 100 if x in _MONEY_COLUMNS else cells, euros if x in _MONEY_COLUMNS else bold
        )
    sheet.set_column(0, 0, 38)
    sheet.set_column(1, 1, 28)
    sheet.set_column(4, 11, 18)
    book.close()
    return buffer.getvalue()


def monthly_totals(report: ActualsOut) -> dict[str, dict[str, int]]:
    """The report summed per month over contracts and municipalities (what the chart draws)."""
    months: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_MONEY, 0))
    for r in report.rows:
        for name in _MONEY:
            months[r.month][name] += getattr(r, name)
    return dict(sorted(months.items()))


def euros_fi(cents: int) -> str:
    """Whole euros with a no-break space between thousands (a label on a bar)."""
    return f"{round(cents / 100):,}".replace(",", "\u00a0")


# Okabe–Ito colours, told apart by people with any common colour-vision deficiency; forecasts also hatched.
SERIES = (
    ("forecast_cost_cents", "Ennuste: kustannus", "#E69F00", "//"),
    ("paid_cents", "Toteuma: maksettu", "#D55E00", ""),
    ("forecast_avoided_cents", "Ennuste: vältetty etuusvastuu", "#56B4E9", "//"),
    ("avoided_liability_cents", "Toteuma: vältetty etuusvastuu (arvio)", "#0072B2", ""),
)


def write_chart(report: ActualsOut) -> bytes:
    """Grouped bars per month: forecast and actual cost, forecast and estimated avoided liability (PNG)."""
    # The object API with the Agg canvas: no pyplot state, no display, only the fonts matplotlib ships.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    months = monthly_totals(report)
    labels = list(months)
    figure = Figure(figsize=(max(7.0, 1.6 * len(labels) + 2), 5.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.2
    for i, (name, label, colour, hatch) in enumerate(SERIES):
        xs = [m + (i - 1.5) * width for m in range(len(labels))]
        values = [months[m][name] / 100 for m in labels]
        bars = axes.bar(
            xs, values, width, label=label, color=colour, hatch=hatch, edgecolor="#333333", linewidth=0.5
        )
        axes.bar_label(
            bars,
            labels=[euros_fi(months[m][name]) if months[m][name] else "" for m in labels],
            rotation=90,
            fontsize=7,
            padding=2,
        )
    axes.set_xticks(range(len(labels)), labels)
    axes.set_xlabel("Kuukausi")
    axes.set_ylabel("Euroa")
    axes.yaxis.set_major_formatter(lambda value, _pos: f"{value:,.0f}".replace(",", "\u00a0"))
    axes.margins(y=0.25)
    axes.set_title(
        f"Ennuste ja toteuma kuukausittain, tilanne {report.cutoff.strftime('%-d.%-m.%Y')}\n"
        "vältetty etuusvastuu on brutto, ei syy-vaikutus",
        fontsize=10,
    )
    if not labels:
        axes.text(0.5, 0.5, "ei vielä toteumaa", transform=axes.transAxes, ha="center")
    axes.legend(loc="upper left", fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()
