"""The value of ``published:`` in the query language: a year, a month or a day
(YYYY[-MM[-DD]]), alone or as START..END with either end open, read into inclusive
first and last days."""

from __future__ import annotations

import calendar
import re
from datetime import date

_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


class DateSyntaxError(ValueError):
    """A date value that cannot be read; ``offset`` is where, from the value's start."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def date_range(raw: str) -> tuple[str | None, str | None]:
    """(first day, last day) as ISO strings, None for an open end."""
    if ".." not in raw:
        return _date_bounds(raw, 0)
    low, _, high = raw.partition("..")
    if not low and not high:
        raise DateSyntaxError("date range needs a start or an end", 0)
    start = _date_bounds(low, 0)[0] if low else None
    end = _date_bounds(high, len(low) + 2)[1] if high else None
    if start is not None and end is not None and start > end:
        raise DateSyntaxError(f"date range '{raw}' starts after it ends", 0)
    return start, end


def _date_bounds(part: str, offset: int) -> tuple[str, str]:
    """First and last day of a year, a month or a single day, as ISO strings."""
    match = _DATE.fullmatch(part)
    try:
        if match is None:
            raise ValueError(part)
        year, month, day = (int(g) if g else 0 for g in match.groups())
        if day:
            first = last = date(year, month, day)
        elif month:
            first = date(year, month, 1)
            last = first.replace(day=calendar.monthrange(year, month)[1])
        else:
            first, last = date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        raise DateSyntaxError(f"invalid date '{part}'", offset) from None
    return first.isoformat(), last.isoformat()
