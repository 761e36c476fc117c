"""``DramaLinkStage``: which drama a comment is about, with a confidence.

Sources, strongest first (``extra["drama_source"]`` says which one decided):

==========  ==========  =====================================================
source      confidence  evidence
==========  ==========  =====================================================
field       1.0         the record's own ``drama`` value (mapped to a drama_id
                        when it matches a catalog title or alias)
title       0.9         a catalog title/alias in the video/thread title
                        (``Comment.title``, ``extra["video_title"]``/``link_title``)
subreddit   0.9         a subreddit named after the drama (r/TheUntamed)
file        0.7         a title/alias in the input file's name
text        0.8 / 0.6   a title/alias in the comment (0.6 for acronyms such as
                        "CQL"), 0.5 a character name
parent      x0.8        the drama of the comment it replies to (bounded cache; same platform, or same file without one)
==========  ==========  =====================================================

A comment is linked only by evidence for one drama. Not evidence, so the comment
stays unlinked (``drama=None``) with ``extra["unlinked_reason"]``:

- ``ambiguous``: the strongest evidence names several dramas equally (``"A vs B"``),
  or a name several catalog dramas share; ``extra["drama_candidates"]`` lists them;
- ``cast_only``: only an actor's name: actors play in many dramas, including ones
  the catalog does not list (the name still counts as a mention of the actor;
  ``link_by_cast=True``, for data known to be about catalog dramas only, links it);
  ``extra["drama_candidates"]`` lists the catalog dramas of the actors named;
- ``no_evidence``: nothing in the record names a catalog drama.

``summary()`` counts linked comments by source and unlinked ones by reason.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..backends.kernels import hashed as _hashed  # None: the Python window below runs
from ..errors import check_param
from ..io.catalog import Catalog, Drama
from ..schema import Comment, replacer
from ..text.matching import NO_SPACE, Cue, CueMatcher, fold, strip_diacritics
from . import bundled
from .base import Batch, Stage
from .dedup import LRU

DEFAULT_CATALOG = Path(bundled("dramas.csv"))
TITLE, ACRONYM, CHARACTER, CAST = 0.8, 0.6, 0.5, 0.4
SOURCE_CONFIDENCE = {"field": 1.0, "title": 0.9, "subreddit": 0.9, "file": 0.7}
PARENT_DISCOUNT = 0.8
TITLE_KEYS = ("video_title", "link_title", "thread_title", "playlist_title", "show_title")
SHARED = "\x00shared:"  # cue label prefix of names several dramas share
REASONS = ("ambiguous", "cast_only", "no_evidence")  # why a comment stayed unlinked, strongest first
_NON_WORD = re.compile(r"[\W_]+")
_HASHTAG = re.compile(r"#([^\s#]+)")
_WITH_DRAMA = replacer("drama", "drama_confidence", "extra")  # c.with_(drama=..., ...), ~1 us cheaper


@functools.lru_cache(maxsize=1 << 12)
def compact(text: str) -> str:
    """NFKC, case-folded, letters and digits only: ``"r/The_Untamed"`` -> ``"rtheuntamed"``.
    Cached: a file's comments name the same few dramas (its ``drama`` field) again and again."""
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


@dataclass(frozen=True)
class LinkIndex:
    """Drama ids, display titles and a matcher over every alias."""

    titles: dict[str, str]  # drama_id -> title
    keys: dict[str, str]  # compact alias -> drama_id (unambiguous titles/aliases only)
    matcher: CueMatcher
    shared: dict[str, list[str]]  # cue label of a name several dramas share -> those drama ids


def link_index(catalog: Catalog) -> LinkIndex:
    """The alias matcher of ``catalog``'s dramas (built once per catalog: ``catalog.index``)."""
    names: dict[str, set[tuple[str, float]]] = {}
    for drama in catalog.dramas:
        for name, weight in _names(drama):
            names.setdefault(fold(name.strip()), set()).add((drama.drama_id, weight))
    cues, keys, shared = [], {}, {}
    for name, owners in names.items():
        dramas = {d for d, _ in owners}
        if not name:
            continue
        if len(dramas) != 1:  # shared by several dramas: not evidence for any one
            shared[SHARED + name] = sorted(dramas)
            cues.extend(Cue(SHARED + name, v, "substring" if NO_SPACE.search(v) else "word", 0.0)
                        for v in {name, fold(strip_diacritics(name))})
            continue
        drama, weight = dramas.pop(), max(w for _, w in owners)
        if weight >= ACRONYM:
            keys.setdefault(compact(name), drama)
        cues.extend(Cue(drama, variant, "substring" if NO_SPACE.search(variant) else "word", weight)
                    for variant in {name, fold(strip_diacritics(name))})
    return LinkIndex(catalog.titles, keys, CueMatcher(cues), shared)


def _names(drama: Drama):
    yield drama.drama_id, TITLE
    for title in (drama.title, drama.original_title):
        if title:
            yield title, TITLE
    for alias in drama.aliases:
        yield alias, ACRONYM if re.fullmatch(r"[A-Z0-9&]{2,6}", alias) else TITLE
    for people, weight in ((drama.characters, CHARACTER), (drama.cast, CAST)):
        for person in people:
            for name in re.split(r"[=/]", person):
                if len(name.strip()) >= 2:
                    yield name, weight


def _from_parent(parent: tuple[str, float]) -> tuple:
    """The found tuple of a reply linked through its parent's (drama, confidence)."""
    return parent[0], round(parent[1] * PARENT_DISCOUNT, 3), "parent", []


def scoped(ident: str | None, platform: str | None, file: object) -> str | None:
    """The parents-window key of an id or reply_to: a platform's id names one comment; an id
    without a platform (a CSV's row numbers) only within its input ``file``."""
    return ident if platform or ident is None else f"{file}\x00{ident}"


def _file_of(c: Comment) -> str:
    return c.source.rsplit(":", 1)[0] if c.source else ""


class DramaLinkStage(Stage):
    name = "link"
    requires = ()
    assigns = ("drama", "drama_confidence")
    preparable = True

    def __init__(self, *, catalog: str | Path | Catalog | None = None, use_text: bool = True,
                 use_parents: bool = True, parent_window: int = 100_000, link_by_cast: bool = False) -> None:
        owner = type(self).__name__
        check_param(owner, "catalog", catalog, catalog is None or isinstance(catalog, (str, Path, Catalog)),
                    "a path, a Catalog or None")
        for name, value in (("use_text", use_text), ("use_parents", use_parents), ("link_by_cast", link_by_cast)):
            check_param(owner, name, value, isinstance(value, bool), "a bool")
        check_param(owner, "parent_window", parent_window,
                    isinstance(parent_window, int) and not isinstance(parent_window, bool) and parent_window > 0,
                    "a positive int")
        shared = catalog if isinstance(catalog, Catalog) else Catalog.load(dramas=catalog)
        self.catalog_path = shared.dramas_path if isinstance(catalog, Catalog) else catalog
        self.use_text, self.use_parents = use_text, use_parents
        self.link_by_cast = link_by_cast  # an actor's name alone links: only when your data is about catalog dramas
        self.parent_window = parent_window
        self.catalog = shared.index("link", link_index)
        self._parents = LRU(parent_window)
        # The same window in C when the kernel is built (``decide_batch`` then resolves a batch in one
        # call; the LRU above stays empty and is the tested reference, as dedup's windows).
        self._window = _hashed.parents_new(parent_window) if self.compiled_window() else None
        self.stats: Counter = Counter()

    def __getstate__(self) -> dict:
        """Pickled before it has seen a comment, as ``DedupStage`` (the C window made again, empty)."""
        if self._window is not None and self.parents_size():
            raise TypeError("a DramaLinkStage that has seen comments cannot be pickled (its window is the C kernel's)")
        return {**self.__dict__, "_window": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._window = _hashed.parents_new(self.parent_window) if self.compiled_window() else None

    def compiled_window(self) -> bool:
        """Whether the parents window is the C kernel's: built, and ``resolve`` not overridden."""
        return _hashed is not None and type(self).resolve is DramaLinkStage.resolve and self.parent_window < 1 << 29

    def parents_size(self) -> int:
        """Entries in the parents window."""
        return _hashed.parents_size(self._window) if self._window is not None else len(self._parents)

    def summary(self) -> dict[str, int]:
        """Linked comments by source and the unlinked count, for the run summary."""
        return dict(self.stats)

    def predict(self, batch: Sequence[Comment]) -> list[tuple[str | None, float | None, str | None, list[str]]]:
        return self.decide_batch(batch, self.prepare(batch))

    def prepare(self, batch: Sequence[Comment]) -> list[tuple]:
        return [self.link_own(c) for c in batch]

    def decide_batch(self, batch: Sequence[Comment], prepared: list[tuple]) -> list[tuple]:
        files = [None if c.platform else _file_of(c) for c in batch]
        idents = [scoped(c.id, c.platform, file) for c, file in zip(batch, files)]
        reply_tos = [scoped(c.reply_to, c.platform, file) for c, file in zip(batch, files)]
        return self.resolve_many(idents, reply_tos, list(prepared))

    def resolve_many(self, idents: list[str | None], reply_tos: list[str | None], founds: list[tuple]) -> list[tuple]:
        """``resolve`` of each, in order (one C call on the window): what a distributed engine's
        in-order step calls with a block of ``link_own`` results."""
        if self._window is None:
            return [self.resolve(*args) for args in zip(idents, reply_tos, founds)]
        return self._resolve_many(idents, reply_tos, list(founds))

    def _resolve_many(self, idents: list[str], reply_tos: list[str | None], founds: list[tuple]) -> list[tuple]:
        """``resolve`` of each, in order, on the C window: one call, then the counts in the same order."""
        found = _hashed.parents_decide(self._window, idents, reply_tos if self.use_parents else None, founds,
                                       _from_parent)
        self.stats.update([f"linked_{source}" if drama else f"unlinked_{source}" for drama, _, source, _ in found])
        return found

    def resolve(self, ident: str, reply_to: str | None, found: tuple) -> tuple:
        """Fall back to the parent's drama (a reply read after its parent): call in input
        order with ``link_own``'s result, as a distributed engine does in one place."""
        if self._window is not None:
            return self._resolve_many([ident], [reply_to], [found])[0]
        if found[0] is None and self.use_parents and reply_to:
            parent = self._parents.get(reply_to)
            if parent:
                found = _from_parent(parent)
        drama, confidence, source, _ = found
        if drama is not None:
            self._parents.put(ident, (drama, confidence))
        self.stats[f"linked_{source}" if drama else f"unlinked_{source}"] += 1
        return found

    def link_own(self, c: Comment):
        """(drama, confidence, source, []) from the comment and its context, without looking at
        its parent (pure), or, unlinked, (None, None, reason, candidates)."""
        if c.drama:
            return self.catalog.keys.get(compact(c.drama), c.drama), 1.0, "field", []
        misses: list[tuple[str, list[str]]] = []
        extra = c.extra or {}
        titles = [c.title] + [extra.get(k) for k in TITLE_KEYS]
        for text in (t for t in titles if isinstance(t, str)):
            found = self._match(text, SOURCE_CONFIDENCE["title"], "title", misses)
            if found:
                return found
        subreddit = extra.get("subreddit")
        if isinstance(subreddit, str) and compact(subreddit) in self.catalog.keys:
            return self.catalog.keys[compact(subreddit)], SOURCE_CONFIDENCE["subreddit"], "subreddit", []
        file_stem = Path(_file_of(c)).stem if c.source else ""
        found = self._match(file_stem.replace("_", " "), SOURCE_CONFIDENCE["file"], "file", misses) if file_stem else None
        if found:
            return found
        if self.use_text:
            found = self._match(c.model_text, None, "text", misses)
            if found:
                return found
        reason, candidates = min(misses, key=lambda m: REASONS.index(m[0]), default=("no_evidence", []))
        return None, None, reason, candidates

    def _match(self, text: str, confidence: float | None, source: str, misses: list):
        """The one drama ``text`` gives evidence for; ``confidence`` None means: the cue's own.
        When ``text`` names people or dramas but no single drama, the reason goes to ``misses``."""
        scores: dict[str, float] = {}
        shared: set[str] = set()
        for hit in self.catalog.matcher.find(fold(text)):
            for cue in hit.cues:
                if cue.label.startswith(SHARED):
                    shared.update(self.catalog.shared[cue.label])
                else:
                    scores[cue.label] = max(scores.get(cue.label, 0.0), cue.weight)
        for tag in _HASHTAG.findall(text):
            drama = self.catalog.keys.get(compact(tag))
            if drama:
                scores[drama] = max(scores.get(drama, 0.0), TITLE)
        evidence = {d: s for d, s in scores.items() if s > CAST or self.link_by_cast}
        if not evidence:
            if shared:
                misses.append(("ambiguous", sorted(shared)))
            elif scores:  # the candidates: the catalog dramas of the actors named
                misses.append(("cast_only", sorted(scores)))
            return None
        best = max(evidence.values())
        top = sorted(d for d, s in evidence.items() if s == best)
        if len(top) > 1:
            misses.append(("ambiguous", top))
            return None
        value = best if confidence is None else confidence * (1.0 if best >= ACRONYM else best / TITLE)
        return top[0], round(value, 3), source, []

    def annotate(self, batch: Sequence[Comment], predictions) -> Batch:
        out, titles = [], self.catalog.titles
        for c, (drama, confidence, source, candidates) in zip(batch, predictions):
            extra = dict(c.extra)
            if drama is None:
                extra["unlinked_reason"] = source
            elif source:
                extra["drama_source"] = source
            if candidates:
                extra["drama_candidates"] = candidates
            title = titles.get(drama) if drama is not None else None
            if title is not None:  # reports show the catalog title; the id stays in extra
                extra["drama_id"] = drama
                drama = title
            out.append(_WITH_DRAMA(c, drama, confidence, extra))
        return out

    def describe(self) -> dict[str, Any]:
        return {"stage": self.name, "catalog": str(self.catalog_path or DEFAULT_CATALOG),
                "merged_onto": str(DEFAULT_CATALOG), "dramas": len(self.catalog.titles),
                "link_by_cast": self.link_by_cast, "use_text": self.use_text, "use_parents": self.use_parents,
                "parent_window": self.parent_window}

    def __repr__(self) -> str:
        return f"DramaLinkStage(catalog={str(self.catalog_path or DEFAULT_CATALOG)!r})"
