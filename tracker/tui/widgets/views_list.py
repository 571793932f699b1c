"""The items screen's sidebar of saved views: `0` all items, `w` "waiting on me", `1`-`9`
the views."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList


class ViewsList(OptionList):
    """The saved views (from the database): `0` all items, `w` the built-in "waiting on me",
    `1`-`9` the views in the order they were made (a number stays with its view)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete,x", "delete_view", "Delete view", id="views.delete"),
    ]

    class DeleteWanted(Message):
        def __init__(self, number: int | None) -> None:
            super().__init__()
            self.number = number  # None: the built-in "waiting on me"

    def action_delete_view(self) -> None:
        if self.highlighted is not None:
            option = self.get_option_at_index(self.highlighted)
            self.post_message(self.DeleteWanted(view_number(option.id)))


WAITING = "view-waiting"


def view_number(option_id: str | None) -> int | None:
    """The view number of a sidebar entry (0: all items); None for "waiting on me"."""
    if option_id is None or option_id == WAITING:
        return None
    return int(option_id.removeprefix("view-"))
