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
    """ISO 8601 text, epoch seconds/milliseconds, or "2 years ago" (needs ``now``) -> UTC datetime."""
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
        raise ValueError(f"not a time: {value!r}") from None


def _from_epoch(seconds: float) -> datetime:
    if not math.isfinite(seconds):
        raise ValueError(f"not a time: {seconds!r}")
    if seconds > 1e11:  # milliseconds
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(microsecond=0)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"time out of range (years 1900-2199): {seconds!r}") from None
