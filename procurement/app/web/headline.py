"""The authority's flow-through headline (all its starts, not one supplier's) and the chart's words."""

from dataclasses import dataclass

from outcomes.flowthrough.chart import ChartWords
from outcomes.flowthrough.rules import wilson_interval
from outcomes.flowthrough.schemas import FlowThroughReport
from procurement.app.web.i18n import fmt_date, gettext
from procurement.app.web.messages import N_


@dataclass(frozen=True)
class Total:
    """Flow-through over every cell of a report: the authority's own figure."""

    starts: int
    denominator: int
    qualified: int
    rate_bp: int | None
    low_bp: int | None
    high_bp: int | None


def total(report: FlowThroughReport) -> Total:
    """Add the cells up (each start is in exactly one supplier's cell) and recompute the interval."""
    starts = sum(c.starts or 0 for c in report.cells)
    denominator = sum(c.denominator or 0 for c in report.cells)
    qualified = sum(c.qualified or 0 for c in report.cells)
    interval = wilson_interval(successes=qualified, n=denominator)
    rate = round(10_000 * qualified / denominator) if denominator else None
    low, high = (round(10_000 * b) for b in interval) if interval else (None, None)
    return Total(starts, denominator, qualified, rate, low, high)


def chart_words(lang: str, report: FlowThroughReport) -> ChartWords:
    """Every word of the chart in the reader's language."""
    g = lambda message: gettext(lang, message)  # noqa: E731
    decimal = "," if lang == "fi" else "."
    return ChartWords(
        title=g(N_("Flow-through by supplier, cut-off %(day)s")) % {"day": fmt_date(report.cutoff)},
        subtitle=g(N_("bars: share of matured starts with a next step within 90 days; lines: 95 % interval")),
        axis=g(N_("flow-through within 90 days (%)")),
        target=g(N_("target %(rate)s %%")),
        meets=g(N_("at or above the target")),
        below=g(N_("below the target")),
        empty=g(N_("no matured starts yet")),
        count=g(N_("n=%(n)s")),
        decimal=decimal,
    )
