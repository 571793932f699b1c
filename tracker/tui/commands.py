"""Command palette entries: jump to an item, fire a trigger, and the screens. Commands that do
not apply (a trigger not allowed from the item's state, any write in time travel) are hidden."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from ..records import Item
from ..render.text import safe
from .messages import OpenHistory, OpenItem

if TYPE_CHECKING:
    from ..service import Tracker

ITEM_HITS = 8


class TrackerCommands(Provider):
    """Items by key or title (looked up in a thread), triggers that may fire, screens."""

    @property
    def tracker(self) -> Tracker:
        tracker: Tracker = getattr(self.app, "tracker")  # noqa: B009
        return tracker

    def _read_only(self) -> bool:
        return getattr(self.screen, "as_of", None) is not None

    def _screen_commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        from .screens.items import ItemsScreen

        items = next((s for s in self.app.screen_stack if isinstance(s, ItemsScreen)), None)
        commands: list[tuple[str, Callable[[], Any], str]] = [
            ("History", self._open_history, "all history, newest first"),
            ("Keys", partial(self.app.run_action, "help"), "the keys of this screen"),
        ]
        if items is not None:
            commands.append(
                ("Time travel", items.action_time_travel, "every item's state as of a date")
            )
            commands.append(
                (
                    "Waiting on me",
                    items.action_waiting,
                    "items awaiting a consent you may give",
                )
            )
            if items.as_of is not None:
                commands.append(("Back to now", items.action_now, "leave time travel"))
            elif not self._read_only():
                commands.append(("Add item", items.action_add, "a new item"))
        return commands

    def _open_history(self) -> None:
        self.app.post_message(OpenHistory())

    def _open_item(self, key: str) -> None:
        # As the screen shows items: in time travel, as of its date (read-only), as enter does.
        as_of = getattr(self.screen, "as_of", None)
        self.app.post_message(OpenItem(key, as_of if isinstance(as_of, datetime) else None))

    def _fire(self, item: Item, trigger: str) -> None:
        from .screens.fire import FireModal

        def after(result: object) -> None:
            data_changed = getattr(self.app, "data_changed", None)
            if result is not None and data_changed is not None:
                data_changed()

        self.app.push_screen(FireModal(self.tracker, item, trigger), after)

    def _found(self, query: str) -> list[Item]:
        """Items whose key or title holds any word of the query (a handful)."""
        seen: dict[str, Item] = {}
        words = [w for w in query.split() if w.lower() not in ("open", "fire", "on")] or [""]
        for word in words[:3]:
            for item in self.tracker.list(text=word or None, limit=ITEM_HITS):
                seen.setdefault(item.key, item)
        return list(seen.values())[: ITEM_HITS * 2]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, run, help_text in self._screen_commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
        if not query.strip():
            return
        found = await asyncio.to_thread(self._found, query)
        for item in found:
            name = f"Open {item.key}"
            score = matcher.match(f"{name} {item.title}")
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(self._open_item, item.key),
                    text=name,
                    help=escape(safe(item.title)),
                )
            if self._read_only():
                continue
            for trigger in item.allowed_triggers:
                name = f"Fire {trigger} on {item.key}"
                score = matcher.match(name)
                if score > 0:
                    yield Hit(
                        score,
                        matcher.highlight(name),
                        partial(self._fire, item, trigger),
                        text=name,
                        help=f"{item.key} is {item.state}",
                    )

    async def discover(self) -> Hits:
        for name, run, help_text in self._screen_commands():
            yield DiscoveryHit(name, run, help=help_text)
        item = getattr(self.screen, "item", None)
        if isinstance(item, Item) and not self._read_only():
            for trigger in item.allowed_triggers:
                name = f"Fire {trigger} on {item.key}"
                yield DiscoveryHit(name, partial(self._fire, item, trigger), help=item.state)
