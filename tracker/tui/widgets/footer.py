"""The footer: Textual's, compact and without the palette key (so the keys a screen shows
fit at 80 columns; `?` lists ctrl+p and every other key), rebuilt only when the keys it
shows change.

Textual's Footer recomposes (about twenty FooterKey widgets on the items screen) on every
bindings update: each screen switch, focus change and refresh_bindings. Most of those
change nothing it shows; skipping them took the largest share of opening an item.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


def shown_keys(screen: Screen[Any]) -> tuple[tuple[str, str, str, bool], ...]:
    """What a footer on `screen` would show: key, its display, description, enabled."""
    app = screen.app
    return tuple(
        (binding.key, app.get_key_display(binding), binding.description, enabled)
        for _node, binding, enabled, _tooltip in screen.active_bindings.values()
        if binding.show
    )


class KeysFooter(Footer):
    """A Footer that recomposes only when the shown keys differ from the last ones."""

    _shown: tuple[tuple[str, str, str, bool], ...] | None = None

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if self.is_attached and screen is self.screen and screen.app.app_focus:
            shown = shown_keys(screen)
            if shown == self._shown:
                self._bindings_ready = True
                return
            self._shown = shown
        super().bindings_changed(screen)
