"""Pure rules of the award decision's remedies: states, the rectification deadline, what blocks contracts."""

from datetime import UTC, date, datetime, time, timedelta

from procurement.core.clock import HELSINKI, to_helsinki
from procurement.core.states import machine
from registry.rules import next_working_day

# SPEC 7: 'final' is a delivered decision whose standstill has ended (the clock decides, nothing is stored).
AWARD_DECISION_MACHINE = machine(
    "award decision",
    {"issued": {"delivered", "withdrawn"}, "delivered": {"withdrawn"}},
    initial="issued",
)
RECTIFICATION_MACHINE = machine("rectification request", {"filed": {"upheld", "dismissed"}}, initial="filed")
APPEAL_MACHINE = machine("Market Court appeal", {"pending": {"decided", "lifted"}}, initial="pending")

RECTIFICATION_DAYS = 14  # hankintalaki 1397/2016 § 133: 14 days from notice of the decision
APPEAL_DAYS = 14  # § 147: 14 days from notice of the decision


def last_day(delivered_at: datetime, *, days: int) -> date:
    """The last day of a period counted in days from delivery (the delivery day not counted).

    A period that would end on a Saturday, Sunday or public holiday ends on the next working day
    (laki säädettyjen määräaikain laskemisesta 150/1930, 5 §).
    """
    return next_working_day(to_helsinki(delivered_at).date() + timedelta(days=days))


def period_end(delivered_at: datetime, *, days: int) -> datetime:
    """The moment a period counted from delivery ends: the end of its last day, Helsinki time, in UTC."""
    end = datetime.combine(last_day(delivered_at, days=days) + timedelta(days=1), time(0), tzinfo=HELSINKI)
    return end.astimezone(UTC)


def decision_status(
    *, state: str, now: datetime, standstill_ends_at: datetime, concluded: bool, blocked: bool
) -> str:
    """Where an award decision stands for its readers (SPEC 7, with the clock's 'final')."""
    if state == "withdrawn":
        return "withdrawn"
    if concluded:
        return "concluded"
    if state == "issued":
        return "issued"
    if now < standstill_ends_at:
        return "standstill"
    return "blocked" if blocked else "final"
