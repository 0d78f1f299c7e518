"""The dispatcher process (`dpr worker`, and the child `dpr serve` starts): runs until SIGTERM or SIGINT."""

import ctypes
import os
import signal
import sys
from typing import Any

from outcomes.notifications.dispatcher import LOCK_KEY, Dispatcher
from procurement.core import outbox
from procurement.core.settings import Settings


def run(url: str, settings: Settings) -> None:
    """Run the dispatcher on the database at `url` until told to stop."""
    if sys.platform == "linux":  # end with the `dpr serve` that started us, even if it was killed
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    # Background work yields the processor to the API's request workers on a busy machine.
    current = os.getpriority(os.PRIO_PROCESS, 0)
    os.setpriority(os.PRIO_PROCESS, 0, max(current, settings.dispatcher_nice))
    dispatcher = Dispatcher(url=url, settings=settings)

    def stop(signum: int, frame: Any) -> None:
        dispatcher.stopping.set()
        dispatcher.wake.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        dispatcher.run()
    finally:
        dispatcher.stop()


def status_lines(session: Any) -> list[str]:
    """The backlog of every outbox consumer, deliveries and e-mail by state, and who dispatches."""
    from sqlalchemy import text

    backlog = outbox.backlog(session)
    lines = [f"outbox: newest {backlog.newest}"]
    lines += [f"{name}: {behind} events behind" for name, behind in backlog.behind.items()]
    for table, label in (("webhook_delivery", "webhook deliveries"), ("email_message", "e-mail")):
        counts = session.execute(
            text(f"SELECT state, count(*) FROM {table} GROUP BY state ORDER BY state")  # noqa: S608 (fixed names)
        ).all()
        lines.append(f"{label}: " + (", ".join(f"{s} {n}" for s, n in counts) or "none"))
    leader = session.execute(
        text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = :k AND granted"),
        {"k": LOCK_KEY},
    ).scalar()
    lines.append(f"dispatcher: {'process ' + str(leader) + ' leads' if leader else 'none running'}")
    return lines
