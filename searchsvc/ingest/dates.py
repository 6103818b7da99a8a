"""Dates as articles write them, read into one form: "YYYY-MM-DD", or
"YYYY-MM-DDTHH:MM:SSZ" (UTC) when a time was given."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, date, datetime, timedelta, timezone


def parse_date(value: object) -> str | None:
    """A date as "YYYY-MM-DD", a datetime as "YYYY-MM-DDTHH:MM:SSZ" (UTC); None if unreadable.

    Accepts date/datetime objects and the common written forms: ISO 8601 with "T" or a
    space, "/" or "." separators, "Z" or "+02:00" offsets (naive times are UTC),
    "October 28, 2025", "Oct 28 2025", "28 Oct 2025" and RFC 2822 (RSS pubDate).
    """
    try:
        if isinstance(value, datetime):
            return _utc(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str) and len(value) <= 100:
            return _parse_date_text(value.strip())
    except (ValueError, OverflowError):
        pass
    return None


_ISO_DATE_RE = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)
_WEEKDAY = r"(?:[A-Za-z]+\.?,?\s+)?"
_MONTH_FIRST_RE = re.compile(_WEEKDAY + r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_DAY_FIRST_RE = re.compile(_WEEKDAY + r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})")
_MONTHS = (
    "january february march april may june july august september october november december"
).split()


def _parse_date_text(text: str) -> str | None:
    if match := _ISO_DATE_RE.fullmatch(text):
        year, month, day, hour, minute, second, zone = match.groups()
        day_only = date(int(year), int(month), int(day))
        if hour is None:
            return day_only.isoformat()
        moment = datetime(day_only.year, day_only.month, day_only.day, int(hour), int(minute))
        moment = moment.replace(second=int(second or 0), tzinfo=_zone(zone))
        return _utc(moment)
    if match := _MONTH_FIRST_RE.fullmatch(text):
        month_name, day_text, year = match.groups()
    elif match := _DAY_FIRST_RE.fullmatch(text):
        day_text, month_name, year = match.groups()
    elif ":" in text:
        try:
            return _utc(email.utils.parsedate_to_datetime(text))
        except (TypeError, ValueError, IndexError):
            return None
    else:
        return None
    month = _month_number(month_name)
    return date(int(year), month, int(day_text)).isoformat() if month else None


def _month_number(name: str) -> int | None:
    name = name.lower()
    if len(name) < 3:
        return None
    return next((i for i, month in enumerate(_MONTHS, 1) if month.startswith(name)), None)


def _zone(zone: str | None) -> timezone:
    if zone is None or zone.upper() in ("Z", "UTC", "GMT"):
        return UTC
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return timezone(-offset if zone[0] == "-" else offset)


def _utc(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
