"""The items screen's saved views: the sidebar that lists them (0: every item, w: waiting on
me, then each saved view by number), choosing one (its filter and moment become the table's
query), saving the current filter as a view and deleting one."""

from __future__ import annotations

import builtins
from dataclasses import replace
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from ...records import View
from ...service import Tracker
from .. import text as lit
from ..query import Query
from ..widgets.views_list import WAITING, ViewsList, view_number
from .items_table import ItemsTable


class ItemsViews(ItemsTable):
    """The items table with the saved views beside it."""

    class ViewsLoaded(Message):
        def __init__(self, views: builtins.list[View]) -> None:
            super().__init__()
            self.views = views

    def __init__(self, tracker: Tracker, *, as_of: datetime | None = None) -> None:
        super().__init__(tracker, as_of=as_of)
        self.saved_views: builtins.list[View] = []

    @work(thread=True, exclusive=True, group="views", exit_on_error=False)
    def load_views(self) -> None:
        self.post_message(self.ViewsLoaded(self.tracker.views()))

    @on(ViewsLoaded)
    def _views_loaded(self, message: ViewsLoaded) -> None:
        self.saved_views = message.views
        listing = self.query_one("#views", ViewsList)
        highlighted = listing.highlighted
        listing.clear_options()
        listing.add_option(Option(Text("0 all items"), id="view-0"))
        listing.add_option(Option(Text("w waiting on me"), id=WAITING))
        for number, view in enumerate(message.views, start=1):
            label = Text(f"{number} " if number < 10 else "  ")
            label.append_text(lit.literal(view.name))
            if view.as_of is not None:
                label.append(" ⏲", style="dim")
            listing.add_option(Option(label, id=f"view-{number}"))
        if highlighted is not None and highlighted < listing.option_count:
            listing.highlighted = highlighted
        self.refresh_bindings()

    @on(OptionList.OptionSelected, "#views")
    def _view_chosen(self, event: OptionList.OptionSelected) -> None:
        number = view_number(event.option.id)
        if number is None:
            self.action_waiting()
        else:
            self.action_view(number)
        self.table.focus()

    def action_waiting(self) -> None:
        """The built-in view: items with a gated transition under way that awaits a party
        the current actor may consent for (typing a filter leaves it)."""
        self.use_filter("", None, waiting=True)

    def action_view(self, number: int) -> None:
        """Show saved view `number` (1-9, as the sidebar numbers them); 0 shows every item."""
        if number == 0:
            self.use_filter("", None)
            return
        if not 0 < number <= len(self.saved_views):
            self.notify(f"no view {number} (v saves the current filter as a view)", timeout=3)
            return
        view = self.saved_views[number - 1]
        if view.broken:  # its filters are unknown: showing every item would mislead
            self.notify(f"view {view.name} cannot be used: {view.broken}", markup=False)
            return
        self.use_filter(str(view.filter), view.as_of)
        self.notify(f"view {view.name}", markup=False, timeout=2)

    def use_filter(self, typed: str, as_of: datetime | None, *, waiting: bool = False) -> None:
        box = self.query_one("#filter", Input)
        with box.prevent(Input.Changed):
            box.value = typed
        self.wanted = Query.parse(typed, self.wanted.order_by, self.wanted.descending, as_of)
        if waiting:
            self.wanted = replace(self.wanted, waiting=True)
        self._show_mode()
        self._apply_wanted()

    def action_save_view(self) -> None:
        if self.wanted.waiting:
            self.notify("waiting on me is built in (w): type a filter to save one", timeout=4)
            return
        from .views import SaveViewModal

        self.app.push_screen(SaveViewModal(self.tracker, self.wanted), self._view_saved)

    def _view_saved(self, result: object) -> None:
        if result is not None:
            self.load_views()

    @on(ViewsList.DeleteWanted)
    def _delete_wanted(self, message: ViewsList.DeleteWanted) -> None:
        from .views import DeleteViewModal

        if message.number is None or not 0 < message.number <= len(self.saved_views):
            self.notify("0 and w are built in; they are not saved views", timeout=3)
            return
        view = self.saved_views[message.number - 1]
        self.app.push_screen(DeleteViewModal(self.tracker, view), self._view_saved)

    def action_toggle_views(self) -> None:
        shown = self.query_one("#views-box").display
        self.set_class(shown, "-views-closed")
        self.set_class(not shown, "-views-open")
