"""Report files: a PNG chart of flow-through with the target line and Wilson intervals, and a CSV."""

import csv
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


def write_chart(report: FlowThroughReport, path: Path) -> int:
    """Bars of flow-through per cell with 95 % Wilson error bars and the target line; returns bars drawn."""
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
    colours = ["#2e7d32" if r >= target else "#c62828" for r in rates]
    positions = list(range(len(shown)))
    axes.bar(positions, rates, color=colours, yerr=[below, above], capsize=4, ecolor="#333333")
    for x, cell in zip(positions, shown, strict=True):
        top = (cell.wilson_high_bp or 0) / 100
        axes.annotate(f"n={cell.denominator}", (x, top + 1.5), ha="center", va="bottom", fontsize=8)
    axes.axhline(target, color="#1565c0", linestyle="--", label=f"target {target:.0f} %")
    axes.set_xticks(positions, [c.label for c in shown], rotation=30, ha="right", fontsize=8)
    axes.set_ylim(0, 118)
    axes.set_ylabel("flow-through within 90 days (%)")
    by = " × ".join(report.by)
    title = f"Flow-through by {by}, cut-off {report.cutoff.isoformat()}"
    axes.set_title(f"{title}\nbars: rate; whiskers: 95 % Wilson interval", fontsize=10)
    if not shown:
        axes.text(0.5, 0.5, "no matured starts yet", transform=axes.transAxes, ha="center")
    axes.legend(loc="upper right", fontsize=8)
    figure.savefig(path, format="png", dpi=120)
    return len(shown)
