"""State colours, derived from the workflows in force: every state of every workflow gets one,
in the order the workflows list them (the shipped ones first), so a user's own workflow is as
colourful as the shipped ones. Each colour comes in three renderings: a hex value for pictures
(`tracker timeline`), a terminal colour for the TUI's bands and a text style for its state
names. The first five are the shipped `agreement` workflow's, as before."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

# (picture, terminal band, terminal text) per slot. Pictures use Okabe-Ito, distinguishable
# with the common colour-vision deficiencies; the terminal ones are its nearest named colours.
SLOTS: tuple[tuple[str, str, str], ...] = (
    ("#0072B2", "dark_cyan", "bold cyan"),
    ("#E69F00", "yellow3", "bold yellow"),
    ("#D55E00", "red3", "bold red"),
    ("#009E73", "green4", "bold green"),
    ("#CC79A7", "magenta3", "bold magenta"),
    ("#56B4E9", "deep_sky_blue1", "bold bright_blue"),
    ("#F0E442", "khaki1", "bold bright_yellow"),
    ("#000000", "orange3", "bold bright_red"),
)
# A state no workflow in force has (history keeps the names of states since renamed).
UNKNOWN = ("#999999", "grey50", "bold")


class HasStates(Protocol):
    """What a palette needs of a workflow."""

    @property
    def states(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Palette:
    """A colour slot for each known state; `states` in the order they were met."""

    states: tuple[str, ...] = ()
    _slots: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        slots = {state: number % len(SLOTS) for number, state in enumerate(self.states)}
        object.__setattr__(self, "_slots", slots)

    @classmethod
    def of(cls, workflows: Iterable[HasStates]) -> Palette:
        """The palette of these workflows: each state once, in workflow then file order."""
        found: dict[str, None] = {}
        for workflow in workflows:
            found.update(dict.fromkeys(workflow.states))
        return cls(tuple(found))

    def _slot(self, state: str) -> tuple[str, str, str]:
        number = self._slots.get(state)
        return UNKNOWN if number is None else SLOTS[number]

    def picture(self, state: str) -> str:
        """The state's colour in a picture (hex)."""
        return self._slot(state)[0]

    def band(self, state: str) -> str:
        """The state's colour as a terminal band (a Rich colour name)."""
        return self._slot(state)[1]

    def style(self, state: str) -> str:
        """The style of a state's name in a terminal (a Rich style)."""
        return self._slot(state)[2]

    def with_states(self, states: Sequence[str]) -> Palette:
        """This palette, and a slot for each of `states` it does not know yet (a picture of
        history may show states no workflow has any more)."""
        extra = [s for s in dict.fromkeys(states) if s not in self._slots]
        return Palette((*self.states, *extra)) if extra else self
