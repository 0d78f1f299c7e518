"""Domain errors of mini-competitions (mapped to problems by the app's one table, through their bases)."""

from datetime import datetime

from minicompetition.tender.rules import helsinki_text
from procurement.core.errors import Conflict, Forbidden


class DeadlinePassed(Conflict):
    """The tender deadline has passed by the database clock: no bid write is accepted any more."""

    title = "Tender deadline passed"

    def __init__(self, *, deadline: datetime, action: str) -> None:
        super().__init__(
            f"The tender deadline passed at {helsinki_text(deadline)}; {action} is no longer possible.",
            deadline=deadline.isoformat(),
        )


class BidsSealed(Forbidden):
    """Bids are sealed: their content and their number are not shown to the caller now."""

    title = "Bids are sealed"
