"""State machines as data: a table of allowed transitions checked in one place."""

from collections.abc import Mapping
from dataclasses import dataclass

from procurement.core.errors import IllegalTransition


@dataclass(frozen=True)
class StateMachine:
    """Allowed transitions of one kind of object."""

    thing: str
    transitions: Mapping[str, frozenset[str]]
    initial: str | None = None

    def check(self, current: str, target: str) -> None:
        """Raise IllegalTransition unless current → target is allowed."""
        if target not in self.transitions.get(current, frozenset()):
            raise IllegalTransition(thing=self.thing, current=current, target=target)

    def targets(self, current: str) -> frozenset[str]:
        """States reachable in one step from ``current``."""
        return self.transitions.get(current, frozenset())

    @property
    def edges(self) -> frozenset[tuple[str, str]]:
        """Every allowed (from, to) pair."""
        return frozenset((a, b) for a, targets in self.transitions.items() for b in targets)

    def terminal_states(self) -> frozenset[str]:
        """States with no way out."""
        return frozenset(s for s in self.states if not self.targets(s))

    @property
    def states(self) -> frozenset[str]:
        """Every state named by the machine."""
        names = set(self.transitions)
        for targets in self.transitions.values():
            names |= targets
        return frozenset(names)


def machine(
    thing: str, edges: Mapping[str, set[str] | frozenset[str]], *, initial: str | None = None
) -> StateMachine:
    """Build a machine from a plain mapping of state → allowed next states."""
    return StateMachine(thing, {state: frozenset(nexts) for state, nexts in edges.items()}, initial)
