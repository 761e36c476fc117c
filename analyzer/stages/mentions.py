"""``MentionStage``: actor and character names linked through catalog aliases.

"肖战 and Sean Xiao fans" -> ``mentions=("cast:Xiao Zhan",)``; "魏无羡 is my favourite"
-> ``("character:Wei Wuxian",)``. The ``cast:`` / ``character:`` prefix feeds the
star-versus-story signal. Names come from the ``cast`` and ``characters`` columns of
the drama catalog (``Name=alias1/alias2|Name2=...``). When the comment is linked to a
drama, that drama's short aliases ("XZ", "WYB") count too; otherwise only longer
names are linked. An alias shared by two people is never used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import check_param
from ..io.catalog import Catalog, bundled
from ..schema import Comment
from ..text.matching import NO_SPACE, Cue, CueMatcher, fold, strip_diacritics
from .base import Batch, Stage


def mention_kind(mention: str) -> str:
    """``"cast:Xiao Zhan"`` -> ``"cast"``."""
    return mention.partition(":")[0]


@dataclass
class PeopleIndex:
    """Alias cues (label = mention id) and which dramas each mention belongs to."""

    matcher: CueMatcher
    dramas: dict[str, set[str]] = field(default_factory=dict)  # mention -> drama ids
    drama_keys: dict[str, str] = field(default_factory=dict)  # folded id/title -> drama id
    context_only: set[str] = field(default_factory=set)  # alias texts usable only with a known drama


def people_index(catalog: Catalog) -> PeopleIndex:
    """The cast and character aliases of ``catalog`` (built once per catalog: ``catalog.index``)."""
    owners: dict[str, set[str]] = {}  # alias -> mentions
    dramas: dict[str, set[str]] = {}
    keys: dict[str, str] = {}
    for drama in catalog.dramas:
        for key in (drama.drama_id, drama.title, drama.original_title):
            if key.strip():
                keys[fold(key.strip())] = drama.drama_id
        for people, kind in ((drama.cast, "cast"), (drama.characters, "character")):
            for mention, aliases in _people(people, kind):
                dramas.setdefault(mention, set()).add(drama.drama_id)
                for alias in aliases:
                    owners.setdefault(alias, set()).add(mention)
    cues, context_only = [], set()
    for alias, mentions in owners.items():
        if len(mentions) != 1:
            continue  # one alias, several people: never evidence
        if _short(alias):
            context_only.add(alias)
        kind = "substring" if NO_SPACE.search(alias) else "word"
        cues.append(Cue(next(iter(mentions)), alias, kind))
    return PeopleIndex(CueMatcher(cues), dramas, keys, context_only)


def _people(people: tuple[str, ...], kind: str):
    for person in people:
        name, _, rest = person.partition("=")
        if not name.strip():
            continue
        aliases = {fold(a.strip()) for a in [name, *rest.split("/")] if len(a.strip()) >= 2}
        aliases |= {fold(strip_diacritics(a)) for a in aliases if not NO_SPACE.search(a)}
        yield f"{kind}:{name.strip()}", aliases


def _short(alias: str) -> bool:
    """Initials and very short names are only trusted inside a known drama."""
    if NO_SPACE.search(alias):
        return len(alias) < 2
    return len(alias) <= 3 or re.fullmatch(r"[a-z]{2,4}", alias) is not None


class MentionStage(Stage):
    name = "mentions"
    requires = ("clean_text",)
    assigns = ("mentions",)
    stateless = True

    def __init__(self, *, catalog: str | Path | Catalog | None = None) -> None:
        check_param("MentionStage", "catalog", catalog, catalog is None or isinstance(catalog, (str, Path, Catalog)),
                    "a path to the drama catalog CSV, a Catalog, or None")
        shared = catalog if isinstance(catalog, Catalog) else Catalog.load(dramas=catalog)
        path = shared.dramas_path if isinstance(catalog, Catalog) else catalog
        self.catalog = str(path or bundled("dramas.csv"))
        self.index = shared.index("people", people_index)

    def predict(self, batch: Sequence[Comment]) -> list[tuple[str, ...]]:
        """``mentions`` of each comment, the batch's texts scanned together (``CueMatcher.find_many``)
        and each drama's key looked up once."""
        hits = self.index.matcher.find_many([fold(c.model_text) for c in batch])
        dramas: dict[str | None, str | None] = {}
        for c in batch:
            if c.drama not in dramas:
                dramas[c.drama] = self._drama_id(c.drama)
        return [self._named(found, dramas[c.drama]) for found, c in zip(hits, batch)]

    def annotate(self, batch: Sequence[Comment], predictions: list[tuple[str, ...]]) -> Batch:
        return [c if m == c.mentions else c.with_(mentions=m) for c, m in zip(batch, predictions)]  # most name no one

    def mentions(self, text: str, drama: str | None = None) -> tuple[str, ...]:
        """The people ``text`` names, in order of first mention, without repeats."""
        return self._named(self.index.matcher.find(fold(text)), self._drama_id(drama))

    def _drama_id(self, drama: str | None) -> str | None:
        return self.index.drama_keys.get(fold(drama)) if drama else None

    def _named(self, hits: list, drama_id: str | None) -> tuple[str, ...]:
        """The mentions of a text's ``hits``; short aliases only of ``drama_id``'s people."""
        index = self.index
        found: dict[str, None] = {}
        for hit in hits:
            for cue in hit.cues:
                in_drama = drama_id is not None and drama_id in index.dramas.get(cue.label, ())
                if cue.text in index.context_only and not in_drama:
                    continue
                found[cue.label] = None
        return tuple(found)

    def describe(self) -> dict:
        return {"stage": self.name, "catalog": self.catalog}

    def __repr__(self) -> str:
        return f"MentionStage(catalog={self.catalog!r})"
