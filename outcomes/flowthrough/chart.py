"""Report files: a PNG chart of flow-through with the target line and Wilson intervals, and a CSV."""

import csv
from dataclasses import dataclass
from pathlib import Path

from outcomes.flowthrough.schemas import CellOut, FlowThroughReport

CSV_FIELDS = (
    "label",
    "starts",
    "matured",
    "neutral",
    "denominator",
    "qualified",
    "rate_bp",
    "wilson_low_bp",
    "wilson_high_bp",
    "target_bp",
    "gap_to_target_bp",
    "median_days_to_step",
    "suppressed",
    "rating",
)


def write_csv(report: FlowThroughReport, path: Path) -> int:
    """One row per cell (the dimension values first); returns the number of cells written."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*report.by, *CSV_FIELDS])
        for cell in report.cells:
            values = [getattr(cell, name) for name in CSV_FIELDS]
            writer.writerow([*(cell.key[d] for d in report.by), *("" if v is None else v for v in values)])
    return len(report.cells)


@dataclass(frozen=True)
class ChartWords:
    """Every word the chart shows, so that a page can draw it in its reader's language."""

    title: str = "Flow-through by supplier, cut-off %(day)s"
    subtitle: str = "bars: share of matured starts with a next step within 90 days; lines: 95 % interval"
    axis: str = "flow-through within 90 days (%)"
    target: str = "target %(rate)s %%"
    meets: str = "at or above the target"
    below: str = "below the target"
    empty: str = "no matured starts yet"
    count: str = "n=%(n)s"
    decimal: str = "."


# Colour-blind-safe (Okabe-Ito blue and orange, told apart by hatching too); the numbers are on the bars.
MEETS_COLOUR, BELOW_COLOUR, TARGET_COLOUR = "#0072B2", "#E69F00", "#000000"


def write_chart(report: FlowThroughReport, path: Path, *, words: ChartWords | None = None) -> int:
    """Bars of flow-through per cell with 95 % Wilson error bars and the target line; returns bars drawn."""
    words = words or ChartWords(title=f"Flow-through by {' × '.join(report.by)}, cut-off %(day)s")
    # The object API with the Agg canvas: no pyplot global state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown: list[CellOut] = [c for c in report.cells if c.rate_bp is not None]
    figure = Figure(figsize=(max(6.0, 1.1 * len(shown) + 2), 5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    target = report.target_bp / 100
    rates = [(c.rate_bp or 0) / 100 for c in shown]
    below = [r - (c.wilson_low_bp or 0) / 100 for r, c in zip(rates, shown, strict=True)]
    above = [(c.wilson_high_bp or 0) / 100 - r for r, c in zip(rates, shown, strict=True)]
    meets = [r >= target for r in rates]
    positions = list(range(len(shown)))
    bars = axes.bar(
        positions,
        rates,
        color=[MEETS_COLOUR if m else BELOW_COLOUR for m in meets],
        hatch=None,
        yerr=[below, above],
        capsize=4,
        ecolor="#333333",
    )
    for bar, ok in zip(bars, meets, strict=True):
        bar.set_hatch("" if ok else "//")
    for x, cell, rate in zip(positions, shown, rates, strict=True):
        top = (cell.wilson_high_bp or 0) / 100
        value = f"{rate:.1f}".replace(".", words.decimal) + " %"
        axes.annotate(
            value, (x, rate / 2), ha="center", va="center", fontsize=9, color="#ffffff", fontweight="bold"
        )
        axes.annotate(
            words.count % {"n": cell.denominator}, (x, top + 1.5), ha="center", va="bottom", fontsize=8
        )
    target_text = f"{target:.0f}".replace(".", words.decimal)
    axes.axhline(target, color=TARGET_COLOUR, linestyle="--", label=words.target % {"rate": target_text})
    from matplotlib.patches import Patch

    handles = [
        axes.get_lines()[-1],
        Patch(facecolor=MEETS_COLOUR, label=words.meets),
        Patch(facecolor=BELOW_COLOUR, hatch="//", label=words.below),
    ]
    axes.set_xticks(positions, [c.label for c in shown], rotation=30, ha="right", fontsize=8)
    axes.set_ylim(0, 118)
    axes.set_ylabel(words.axis)
    day = f"{report.cutoff.day}.{report.cutoff.month}.{report.cutoff.year}"
    axes.set_title(f"{words.title % {'day': day}}\n{words.subtitle}", fontsize=10)
    if not shown:
        axes.text(0.5, 0.5, words.empty, transform=axes.transAxes, ha="center")
    axes.legend(handles=handles, loc="upper right", fontsize=8)
    figure.savefig(path, format="png", dpi=120)
    return len(shown)
