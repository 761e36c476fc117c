"""Keyed pseudonyms for authors: raw names and ids never reach an output.

The key comes from the ``author_key`` config value or the environment variable
``RESONANCE_ANALYZER_AUTHOR_KEY``. Without either, a random key is made for the run:
pseudonyms are then stable within the run but not across runs (the manifest says so).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

ENV_KEY = "RESONANCE_ANALYZER_AUTHOR_KEY"
CACHE_SIZE = 50_000  # pseudonyms cached (an HMAC costs ~1 us); bounded so memory stays flat


class Pseudonymizer:
    def __init__(self, key: str | None = None, keep_authors: bool = False) -> None:
        key = key or os.environ.get(ENV_KEY)
        self.key_source = "config" if key else "random-per-run"
        self._key = (key or secrets.token_hex(32)).encode("utf-8")
        self.keep_authors = keep_authors
        self._cache: dict[tuple[str, str], str] = {}

    def __call__(self, author, platform: str | None = None) -> str | None:
        if author is None or author == "":
            return None
        author = str(author)
        if self.keep_authors:
            return author
        cache_key = (platform or "", author)
        found = self._cache.get(cache_key)
        if found is None:
            digest = hmac.new(self._key, f"{platform or ''}\x00{author}".encode("utf-8"), hashlib.sha256)
            found = "u_" + digest.hexdigest()[:16]
            if len(self._cache) < CACHE_SIZE:
                self._cache[cache_key] = found
        return found
