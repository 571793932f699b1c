"""Tracker's saved views: named filters every user of the database shares."""

from __future__ import annotations

from .. import dates, fields
from ..records import Filter, View
from ..store import queries
from ..store import views as saved_views
from .part import Part, Views, When


class SavedViews(Part):
    """Save, list, read and delete views."""

    def save_view(
        self,
        name: str,
        where: Filter | None = None,
        *,
        state: str | None = None,
        kind: str | None = None,
        party: str | None = None,
        text: str | None = None,
        as_of: When = None,
        replace: bool = False,
        actor: str | None = None,
    ) -> View:
        """Save a named filter for every user of the database. Conflict (5) when the name is
        taken, unless `replace`. Names are short words, compared case-insensitively."""
        chosen = queries.chosen(self.workflows, where, state, kind, party, text)
        saved = View(
            name=saved_views.name_of(name),
            filter=chosen,
            as_of=dates.parse_when(as_of) if as_of is not None else None,
            created_at=dates.now(),
            created_by=fields.text("actor", actor) or self.default_actor,
        )
        saved_views.save(self.db, saved, replace=replace)
        return saved

    def views(self) -> Views:
        """Every saved view, in the order they were created (a replaced view keeps its place).
        A row that cannot be read is listed too, its filters unset and `broken` saying what is
        wrong, so that one bad row hides none of the others."""
        return saved_views.every(self.db)

    def view(self, name: str) -> View:
        """One saved view by name (case-insensitive). Raises NotFound (3), and UsageError (2)
        for a view whose row cannot be read (save it again with replace, or delete it)."""
        return saved_views.one(self.db, name)

    def delete_view(self, name: str) -> None:
        """Delete a saved view. Raises NotFound (3) when there is none of that name."""
        saved_views.remove(self.db, name)
