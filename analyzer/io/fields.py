"""Parsing of the loosely typed fields dumps carry: times, counts, ids."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_COUNT = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*([kKmMbB万萬千]?)\s*$")
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000, "千": 1_000, "万": 10_000, "萬": 10_000}
_RELATIVE = re.compile(
    r"^\s*(\d+|an?|one)\s+(second|minute|hour|day|week|month|year)s?\s+ago(?:\s*\(edited\))?\s*$", re.I
)
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
                 "month": 30 * 86400, "year": 365 * 86400}


def parse_count(value) -> int | None:
    """``12`` / ``"1,234"`` / ``"1.2K"`` / ``"3M"`` / ``"1.5万"`` -> int; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip().replace("\u00a0", "")
    if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
        return int(text.replace(",", ""))
    match = _COUNT.match(text)
    if not match:
        raise ValueError(f"not a count: {value!r}")
    number = float(match.group(1).replace(",", "."))
    return int(round(number * _SCALE[match.group(2).lower()]))


def parse_time(value, now: datetime | None = None) -> datetime | None:
    """ISO 8601 text, epoch seconds/milliseconds, or "2 years ago" (needs ``now``) -> UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_epoch(float(value))
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _from_epoch(float(text))
    relative = _RELATIVE.match(text)
    if relative:
        if now is None:
            raise ValueError(f"relative time {text!r} needs the dump's time (set dump_time)")
        amount = 1 if relative.group(1).lower() in ("a", "an", "one") else int(relative.group(1))
        return now - timedelta(seconds=amount * _UNIT_SECONDS[relative.group(2).lower()])
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _from_epoch(seconds: float) -> datetime:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000.0
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(microsecond=0)
