"""What readers yield: accepted ``Comment``s or ``Reject``s, never silence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that was not accepted: why, and where (``file:line`` or ``file:offset``)."""

    reason: str
    location: str  # "path:line" (1-based line) or "path:@offset" for binary formats
    raw: str | None = None  # the offending record, truncated, for the rejects file
    file: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "location": self.location, "file": self.file, "raw": self.raw}
