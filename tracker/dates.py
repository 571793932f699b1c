"""The one date parser and formatter. Every time is UTC inside the tracker."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from .errors import UsageError

_BARE_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
# A fraction of a second past six digits: fromisoformat would cut it to the microsecond.
_FINER_THAN_MICROSECONDS = re.compile(r"[.,]\d{7}")


def now() -> datetime:
    """The current time, UTC, to the microsecond."""
    return datetime.now(UTC)


def parse_when(text: str | datetime | date) -> datetime:
    """Parse an ISO 8601 date or date-time. A bare date is midnight UTC; a time without an
    offset is taken as UTC; `now` is now. Raises UsageError on anything else."""
    if isinstance(text, datetime):
        return _checked(_utc(text), text)
    if isinstance(text, date):
        return _checked(datetime(text.year, text.month, text.day, tzinfo=UTC), text)
    raw = text.strip()
    if raw.lower() == "now":
        return now()
    refuse_finer_than_microseconds(raw, text)
    try:
        parsed = datetime.fromisoformat(raw)
        if _BARE_DATE.match(raw):
            parsed = parsed.replace(tzinfo=UTC)
    except ValueError:
        raise UsageError(
            f"bad date {text!r}: use ISO 8601, e.g. 2026-01-30 or 2026-01-30T09:00:00+09:00"
        ) from None
    try:
        moment = _utc(parsed)
    except OverflowError:  # e.g. 9999-12-31T23:59-23:59 is past the last representable time
        raise UsageError(f"bad date {text!r}: out of range") from None
    return _checked(moment, text)


def refuse_finer_than_microseconds(raw: str, given: object = None) -> None:
    """A UsageError for a time with more than six digits of a second: parsers (fromisoformat,
    PyYAML's timestamps) cut it to the microsecond, and nothing given is silently cut."""
    if _FINER_THAN_MICROSECONDS.search(raw):
        shown = raw if given is None else given
        raise UsageError(f"bad date {shown!r}: times are kept to the microsecond (6 digits)")


def parse_since(value: str | datetime | date) -> datetime:
    """The start of a `since` range: a bare date is the start of that day (UTC), a time exact."""
    return parse_when(value)


def parse_until(value: str | datetime | date) -> datetime:
    """The end of an inclusive `until` range: a bare date covers that whole day (UTC), so
    `until 2025-11-30` includes 30 November; a time is exact. The one rule for every front end."""
    moment = parse_when(value)
    if is_bare_date(value):
        return moment + timedelta(days=1, microseconds=-1)
    return moment


def period(
    since: str | datetime | date | None, until: str | datetime | date | None
) -> tuple[datetime | None, datetime | None]:
    """The inclusive range a `since`/`until` pair asks for (None: open at that end), by the one
    rule for every front end: since a bare date is the start of that day, until a bare date
    the end of it; a time is exact. UsageError naming the bound that is no date, or when the
    range ends before it starts."""
    start = _bound("since", since, parse_since)
    stop = _bound("until", until, parse_until)
    if start is not None and stop is not None and start > stop:
        raise UsageError(f"the range ends before it starts: since {iso(start)}, until {iso(stop)}")
    return start, stop


def _bound(
    name: str,
    value: str | datetime | date | None,
    parse: Callable[[str | datetime | date], datetime],
) -> datetime | None:
    if value is None:
        return None
    try:
        return parse(value)
    except UsageError as exc:
        raise UsageError(f"{name}: {exc}") from None


def is_bare_date(value: str | datetime | date) -> bool:
    """A day without a time: `2025-11-30` or a `date` (not a `datetime`)."""
    if isinstance(value, datetime):
        return False
    if isinstance(value, date):
        return True
    try:  # ISO 8601 spells a day more than one way (2025-11-30, 20251130, 2025-W48-7)
        date.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def _checked(moment: datetime, text: object) -> datetime:
    # Before 1900 (in UTC) is surely a typo, and the canonical text needs a 4-digit year.
    if moment.year < 1900:
        raise UsageError(f"bad date {text!r}: years before 1900 are not accepted")
    return moment


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime) -> str:
    """The canonical text of a time: UTC, microseconds, `Z` (fixed width, sorts as text)."""
    # isoformat is several times faster than strftime and always gives a 4-digit year;
    # in UTC its offset is "+00:00", which becomes "Z". A time in UTC already (now(), most
    # parsed ones) skips astimezone, which costs more than the formatting.
    if value.tzinfo is not UTC:
        value = _utc(value)
    return value.isoformat(timespec="microseconds")[:-6] + "Z"
