"""Parsing of the loosely typed fields dumps carry: times, counts, ids."""

from __future__ import annotations

import functools
import math
import re
from datetime import datetime, timedelta, timezone

_COUNT = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*([kKmMbB万萬千]?)\s*$")
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000, "千": 1_000, "万": 10_000, "萬": 10_000}
_RELATIVE = re.compile(
    r"^\s*(\d+|an?|one)\s+(second|minute|hour|day|week|month|year)s?\s+ago(?:\s*\(edited\))?\s*$", re.I
)
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
                 "month": 30 * 86400, "year": 365 * 86400}

_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")), start=1) for name in names}
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_MONTH = r"([a-z]+)\.?"
# "June 4, 2024 8:30 PM" / "4 Jun 2024 20:30" / "Tue, June 4, 2024 at 8:30 pm UTC": a month written as a word
# makes day and month unambiguous (unlike 06/04/2024, which stays a reject)
_MONTH_NAME_TIME = re.compile(
    rf"^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?(?:{_MONTH}\s+{_DAY}|{_DAY}\s+{_MONTH}),?\s+(\d{{4}})"
    r"(?:,?\s+(?:at\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([ap])\.?m\.?)?)?"
    r"(?:\s*(utc|gmt|z|[+-]\d{2}:?\d{2}))?$", re.I)


MAX_COUNT = 2**63 - 1  # likes are stored as int64
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)


def parse_count(value) -> int | None:
    """``12`` / ``"1,234"`` / ``"1.2K"`` / ``"3M"`` / ``"1.5万"`` -> int; None when empty.
    ValueError for anything else, infinities and counts beyond int64 included."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return _bounded(value, value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a count: {value!r}")
        return _bounded(int(value), value)
    if not isinstance(value, str):
        raise ValueError(f"not a count: a {type(value).__name__}")
    text = value.strip().replace("\u00a0", "")
    if len(text) > 40:
        raise ValueError(f"not a count: {len(text)} characters")
    if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
        return _bounded(int(text.replace(",", "")), value)
    match = _COUNT.match(text)
    if not match:
        raise ValueError(f"not a count: {value!r}")
    number = float(match.group(1).replace(",", ".")) * _SCALE[match.group(2).lower()]
    if not math.isfinite(number):
        raise ValueError(f"not a count: {value!r}")
    return _bounded(int(round(number)), value)


def _bounded(count: int, shown) -> int:
    if abs(count) > MAX_COUNT:
        raise ValueError(f"count out of range: {str(shown)[:40]}")
    return count


def parse_time(value, now: datetime | None = None) -> datetime | None:
    """ISO 8601 text, epoch seconds/milliseconds, an English month-name date ("June 4, 2024 8:30 PM"), or
    "2 years ago" (needs ``now``) -> UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, str):  # dumps repeat their time strings (days, coarse clocks)
        return _parse_time_text(value, now)
    return _checked_time(value, now)


@functools.lru_cache(maxsize=4096)  # bounded; a failure (ValueError) is not cached
def _parse_time_text(value: str, now: datetime | None) -> datetime:
    return _checked_time(value, now)


def _checked_time(value, now: datetime | None) -> datetime:
    try:
        parsed = _parse_time(value, now)
        parsed = parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (OverflowError, OSError):
        parsed = None
    if parsed is None or not EARLIEST <= parsed < LATEST:
        raise ValueError(f"time out of range (years 1900-2199): {str(value)[:40]!r}")
    return parsed


def _parse_time(value, now: datetime | None) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"not a time: a {type(value).__name__}")
    if isinstance(value, (int, float)):
        return _from_epoch(float(value))
    text = value.strip()
    if len(text) > 64:
        raise ValueError(f"not a time: {len(text)} characters")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _from_epoch(float(text))
    relative = _RELATIVE.match(text)
    if relative:
        if now is None:
            raise ValueError(f"relative time {text!r} needs the dump's time (set dump_time)")
        amount = 1 if relative.group(1).lower() in ("a", "an", "one") else int(relative.group(1))
        return now - timedelta(seconds=amount * _UNIT_SECONDS[relative.group(2).lower()])
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    month_name = _MONTH_NAME_TIME.match(text)
    parsed = _from_month_name(month_name) if month_name else None
    if parsed is None:
        raise ValueError(f"not a time: {value!r}")
    return parsed


def _from_month_name(match: re.Match) -> datetime | None:
    """The groups of ``_MONTH_NAME_TIME`` -> a datetime; None for an unknown month or an impossible date."""
    month_a, day_a, day_b, month_b, year, hour, minute, second, half, zone = match.groups()
    month = _MONTHS.get((month_a or month_b).lower())
    hour, minute, second = int(hour or 0), int(minute or 0), int(second or 0)
    if half:  # 12-hour clock: 12 AM is midnight, 12 PM noon
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    try:
        return datetime(int(year), month, int(day_a or day_b), hour, minute, second, tzinfo=_zone(zone)) \
            if month else None
    except ValueError:
        return None


def _zone(text: str | None) -> timezone:
    if not text or text.lower() in ("utc", "gmt", "z"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _from_epoch(seconds: float) -> datetime:
    if not math.isfinite(seconds):
        raise ValueError(f"not a time: {seconds!r}")
    if seconds > 1e11:  # milliseconds
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(microsecond=0)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"time out of range (years 1900-2199): {seconds!r}") from None
