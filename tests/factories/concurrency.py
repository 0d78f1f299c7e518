"""Running service calls in their own threads and transactions, for real concurrency tests."""

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session


class Running:
    """A service call in its own thread and transaction; committed when it returns."""

    def __init__(self, engine: Engine, call: Callable[[Session], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()

        def run() -> None:
            with Session(engine) as session:
                try:
                    self.result = call(session)
                    session.commit()
                except BaseException as exc:
                    self.error = exc
                finally:
                    self.done.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def wait(self) -> Any:
        assert self.done.wait(10), "the call did not finish"
        if self.error is not None:
            raise self.error
        return self.result
