"""Language of each comment: script rules first, a model only for Latin-script text.

Order of decisions for one comment (``comment.model_text``):

1. strip URLs, mentions, masks, hashtag marks, emoji, digits and punctuation; no
   letters left -> ``und`` (no model call);
2. the script decides where it can: Hangul -> ko, kana (alone or with Han) -> ja,
   Han only -> zh (``script`` Hans/Hant), Thai -> th, Devanagari -> hi, Arabic -> ar,
   Cyrillic -> ru. A script beats the Latin letters beside it when its weighted letters
   are at least as many: Han, kana, Hangul and Thai count 3 (speakers of these mix in
   Latin brand names and English words far more than the reverse), Devanagari and
   Arabic 2, Cyrillic 1;
3. otherwise the Latin-script words go to the backend. ``und`` only where there is no
   language to find: Latin words that are all laughter or interjections found in every
   language ("hahaha", "lol", "omg", "hmm"; see ``LANGUAGELESS``). A short text
   (``short_length`` characters or fewer) below ``min_confidence`` is also ``und``, but the
   default ``min_confidence`` is 0: the best guess beats no answer (``und`` counts as wrong
   for every user who filters by language). Latin words beside a second script decide only
   when sure (``UNSURE_LATIN``) and, beside Han, when not all pinyin ("Xiao Zhan 加油" is zh);
4. Indonesian/Malay (written alike): a region hint decides (MY/SG/BN -> ms, ID -> id);
   without one, ``merge_id_ms`` (default) names ``ms`` only where Malay-only words say so
   (``is_malay``: "nak", "tengok", "korang", ...) and ``id`` otherwise, while
   ``merge_id_ms=False`` keeps the backend's own choice (see ``resolve_id_ms``);
5. ``lang_mixed`` = (main, other) when a second language is clearly present: a
   second script with enough letters, or words the backend assigns to another language.
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from itertools import islice
from collections.abc import Sequence

from ..backends.base import LangPrediction
from ..backends.langid import (
    DEFAULT_LANGUAGES,
    LANGUAGELESS,
    clean_many,
    han_script,
    han_script_many,
    is_malay,
    script_counts,
    script_counts_many,
)
from ..defaults import MODELS
from ..errors import check_param
from ..registry import select_backend
from ..schema import Comment, replacer
from .base import Batch, Stage

# script -> (language, weight of one letter against one Latin letter)
SCRIPT_LANGS = {
    "Hang": ("ko", 3.0), "Kana": ("ja", 3.0), "Hani": ("zh", 3.0), "Thai": ("th", 3.0),
    "Deva": ("hi", 2.0), "Arab": ("ar", 2.0), "Cyrl": ("ru", 1.0),
}
MALAY_REGIONS = frozenset({"MY", "SG", "BN"})
INDONESIAN_REGIONS = frozenset({"ID"})
MIN_SECOND_WEIGHT = 6.0  # weighted letters of a second script before it counts as code-mixing
SCRIPT_NAMES = {"ja": "Jpan", "ko": "Hang", "th": "Thai", "hi": "Deva", "ar": "Arab", "ru": "Cyrl"}
CACHE_TEXTS = 20_000  # distinct texts whose answers a stage remembers (the least recently used go first)
CACHE_CHARS = 4_000_000  # ... and at most this many characters of them (a few long texts cannot fill memory)
UNSURE_LATIN = 0.7  # below this, a second script present beside the Latin words decides

# A word made of Hanyu Pinyin syllables (toneless): "xiao", "zhan", "yibo". Beside Han
# characters, Latin words that are all pinyin are a romanized name, not another language.
PINYIN_WORD = re.compile(
    r"(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])"
    r"(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ui|ue|a|e|i|o|u)"
    r"|ang|eng|ai|ei|ao|ou|an|en|er|a|o|e)+"  # syllables without an initial
)


def is_pinyin(latin: str) -> bool:
    """True when every word is toneless Hanyu Pinyin ("Xiao Zhan", "Wang Yibo")."""
    words = latin.lower().split()
    return bool(words) and all(PINYIN_WORD.fullmatch(w) for w in words)


def resolve_id_ms(lang: str, hint: str | None, merge: bool, malay: bool = False) -> str:
    """Indonesian vs Malay. Region MY/SG/BN -> ms, ID -> id; with no such hint,
    ``merge=True`` reports ``ms`` where the text has Malay-only words (``malay``, see
    ``is_malay``) and ``id`` otherwise, and ``merge=False`` keeps the model's."""
    if lang not in ("id", "ms"):
        return lang
    region = (hint or "").upper()
    if region in MALAY_REGIONS:
        return "ms"
    if region in INDONESIAN_REGIONS:
        return "id"
    if merge:
        return "ms" if malay else "id"
    return lang


_LANGUAGELESS_TEXT = re.compile(rf"(?:{LANGUAGELESS.pattern})(?:\s+(?:{LANGUAGELESS.pattern}))*")


def is_languageless(latin: str) -> bool:
    """True when every word is laughter or an interjection that belongs to no language."""
    return _LANGUAGELESS_TEXT.fullmatch(latin.lower().strip()) is not None


def _script_groups(counts: dict[str, int]) -> dict[str, float]:
    """Weighted letters per language-deciding script group (kana pulls Han into ja)."""
    groups: dict[str, float] = {}
    for script, n in counts.items():
        if script in SCRIPT_LANGS:
            lang, weight = SCRIPT_LANGS[script]
            if script == "Hani" and counts.get("Kana"):
                lang = "ja"
            groups[lang] = groups.get(lang, 0.0) + n * weight
    return groups


_LATIN_WORD = re.compile("[\u0041-\u024f\u1e00-\u1eff]+")  # cleaned text holds letters only (script_counts' Latn)
_UND = LangPrediction("und", 0.0, (), None)
_WITH_LANG = replacer("lang", "lang_confidence", "lang_mixed", "script")  # c.with_(lang=..., ...), ~2 us cheaper


def _latin_words(cleaned: str, han: bool = False) -> str:
    """The all-Latin words; beside Han (``han``) without the pinyin ones (names)."""
    words = [w for w in cleaned.split() if _LATIN_WORD.fullmatch(w)]
    return " ".join(w for w in words if not (han and PINYIN_WORD.fullmatch(w.lower())))


class AnswerCache:
    """Answers per text, least recently used dropped first once more than ``entries`` texts
    or ``chars`` characters are held: memory stays flat on any input (a cleared dict that
    refilled to 200,000 texts held ~90 MB per process), while the repeats that dumps hold
    (copies, spam, quotes) are mostly close to each other. Keys are texts or (text, hint)."""

    def __init__(self, entries: int, chars: int) -> None:
        self.entries, self.chars = entries, chars
        self._data: OrderedDict = OrderedDict()
        self._chars = 0

    def __len__(self) -> int:
        return len(self._data)

    def get_many(self, keys: dict) -> dict:
        """``keys`` -> the remembered answer or None, in order; a hit becomes the most recent."""
        data = self._data
        for key in data.keys() & keys.keys():  # the hits (few): one C-level intersection finds them
            data.move_to_end(key)
        return dict(zip(keys, map(data.get, keys)))

    def put_many(self, keys: list, answers: list) -> None:
        """Remember ``answers``; the least recent go while more than ``entries`` texts or
        ``chars`` characters are held (counted, dropped and measured in bulk, not one by one)."""
        data = self._data
        held = len(data)
        data.update(zip(keys, answers))
        if len(data) - held == len(keys):  # all new (what the stage puts: its misses)
            self._chars += _chars_of(keys)
        else:
            self._chars = _chars_of(data)
        excess = len(data) - self.entries
        if excess > 0:
            self._drop(list(islice(data, excess)))
        if self._chars > self.chars:
            over, oldest = self._chars - self.chars, []
            for key in data:  # the least recent first, until enough characters are freed
                oldest.append(key)
                over -= _chars_of((key,))
                if over <= 0:
                    break
            self._drop(oldest)

    def _drop(self, keys: list) -> None:
        self._chars -= _chars_of(keys)
        deque(map(self._data.pop, keys), maxlen=0)


def _chars_of(keys) -> int:
    """Characters of the texts of ``keys`` (texts, or (text, hint) pairs)."""
    keys = list(keys) if not isinstance(keys, (list, tuple)) else keys
    if keys and isinstance(keys[0], tuple):
        return sum(len(key[0]) for key in keys)
    return sum(map(len, keys))


class LanguageIdStage(Stage):
    name = "langid"
    requires = ("clean_text",)
    assigns = ("lang", "lang_confidence", "lang_mixed", "script")
    stateless = True

    def __init__(self, *, backend=MODELS["langid"], languages: Sequence[str] = DEFAULT_LANGUAGES,
                 min_confidence: float = 0.0, short_length: int = 20, merge_id_ms: bool = True,
                 batch_size: int = 4096) -> None:
        owner = "LanguageIdStage"
        check_param(owner, "languages", languages, not isinstance(languages, str) and len(languages) > 0
                    and all(isinstance(x, str) and len(x) in (2, 3) for x in languages), "a non-empty list of ISO 639-1 codes")
        check_param(owner, "min_confidence", min_confidence, isinstance(min_confidence, (int, float))
                    and not isinstance(min_confidence, bool) and 0.0 <= min_confidence <= 1.0, "a float in [0, 1]")
        check_param(owner, "short_length", short_length, isinstance(short_length, int)
                    and not isinstance(short_length, bool) and short_length >= 0, "a non-negative int")
        check_param(owner, "merge_id_ms", merge_id_ms, isinstance(merge_id_ms, bool), "True or False")
        check_param(owner, "batch_size", batch_size, isinstance(batch_size, int)
                    and not isinstance(batch_size, bool) and batch_size > 0, "a positive int")
        self.backend_spec = backend
        self.languages = tuple(languages)
        self.min_confidence = float(min_confidence)
        self.short_length = short_length
        self.merge_id_ms = merge_id_ms
        self.batch_size = batch_size
        self.backend = select_backend(backend, "langid", languages=self.languages)
        self._cache = AnswerCache(CACHE_TEXTS, CACHE_CHARS)  # text (or (text, hint)) -> answer before _finish

    def release(self) -> None:
        """This process hands the stage to worker processes: let the shared model go."""
        from ..backends.langid import release_model

        release_model()

    # ------------------------------------------------------------------ predict
    def predict(self, batch: Sequence[Comment]) -> list[LangPrediction]:
        return self.predict_texts([c.model_text for c in batch], [c.region for c in batch])

    def predict_texts(self, texts: Sequence[str], hints: Sequence[str | None] | None = None) -> list[LangPrediction]:
        """Predictions for raw texts (``hints``: region codes such as "MY", or None).

        Each distinct text (with its hint, for a backend that reads hints) is classified
        once per batch, and answers are remembered across batches (``AnswerCache``: the
        answer depends on the text alone); the hint settles Indonesian vs Malay at the end."""
        hints = list(hints) if hints is not None else [None] * len(texts)
        keys = list(zip(texts, hints)) if getattr(self.backend, "uses_hints", True) else texts
        found = self._cache.get_many(dict.fromkeys(keys))
        todo = [key for key, pred in found.items() if pred is None]
        for key, pred in zip(todo, self._classify(todo if keys is texts else [t for t, _ in todo],
                                                   None if keys is texts else [h for _, h in todo])):
            found[key] = pred
        self._cache.put_many(todo, [found[key] for key in todo])
        return [self._finish(found[key], hint) for key, hint in zip(keys, hints)]

    def _classify(self, texts: list[str], hints: list[str | None] | None) -> list[LangPrediction]:
        """Answers before the Indonesian/Malay hint is applied, one per (distinct) text."""
        cleaned = clean_many(texts)
        found: list[LangPrediction | None] = [None] * len(texts)
        pending: list[tuple[int, str, LangPrediction | None, tuple[str, str] | None]] = []
        counts_of = script_counts_many(cleaned)
        with_han = [i for i, counts in enumerate(counts_of) if "Hani" in counts]
        han_of = dict(zip(with_han, han_script_many([cleaned[i] for i in with_han])))
        for i, (text, counts) in enumerate(zip(cleaned, counts_of)):
            decided, latin, other = self._by_script(text, counts, han_of.get(i))
            if latin is None:
                found[i] = decided
            else:
                pending.append((i, latin, decided, other))
        for start in range(0, len(pending), self.batch_size):
            chunk = pending[start:start + self.batch_size]
            preds = self.backend.predict([p[1] for p in chunk], [hints[p[0]] for p in chunk] if hints else None)
            for (i, latin, decided, other), pred in zip(chunk, preds):
                found[i] = self._id_or_ms(self._merge(decided, pred, latin, other), latin)
        return found

    def _id_or_ms(self, pred: LangPrediction, latin: str) -> LangPrediction:
        """With ``merge_id_ms``: Indonesian/Malay named ``ms`` only on Malay-only words, else ``id``
        (before the region hint, which ``_finish`` applies on top)."""
        if not self.merge_id_ms or (pred.lang not in ("id", "ms") and not {"id", "ms"} & set(pred.mixed)):
            return pred
        lang = "ms" if is_malay(latin) else "id"
        named = lambda x: lang if x in ("id", "ms") else x
        return pred._replace(lang=named(pred.lang), mixed=tuple(map(named, pred.mixed)))

    def _by_script(self, cleaned: str, counts: dict[str, int] | None = None, han: str | None = None
                   ) -> tuple[LangPrediction | None, str | None, tuple[str, str] | None]:
        """(decision, Latin text still to classify, (language, script) of a second script).

        A decision of None means the Latin words decide; a Latin text of None means
        no model call is needed. ``counts``: the text's ``script_counts`` when known;
        ``han``: its ``han_script`` when known.
        """
        if cleaned.isascii():  # Latin letters only (or nothing)
            return (None, cleaned, None) if cleaned else (_UND, None, None)
        counts = script_counts(cleaned) if counts is None else counts
        if han is None and "Hani" in counts:
            han = han_script(cleaned)
        if len(counts) == 1:  # one script: its rule alone decides (or there is none)
            (script, _), = counts.items()
            if script == "Latn":
                return None, cleaned, None
            lang = SCRIPT_LANGS[script][0] if script in SCRIPT_LANGS else None
            if lang in self.languages:
                return LangPrediction(lang, 1.0, (), SCRIPT_NAMES[lang] if lang != "zh" else han), None, None
        letters = sum(counts.values())
        if not letters:
            return LangPrediction("und", 0.0, (), None), None, None
        latin_n = counts.get("Latn", 0)
        groups = {g: w for g, w in _script_groups(counts).items() if g in self.languages}
        top = max(groups, key=lambda k: (groups[k], k)) if groups else None
        if top is None or groups[top] < latin_n:
            if latin_n == 0:  # only scripts without a rule (Greek, Hebrew, ...) or not configured
                return LangPrediction("und", 0.0, (), None), None, None
            other = None
            if top is not None and groups[top] >= MIN_SECOND_WEIGHT:
                other = (top, SCRIPT_NAMES[top] if top != "zh" else han)
            return None, _latin_words(cleaned, "Hani" in counts) if latin_n < letters else cleaned, other
        script = SCRIPT_NAMES[top] if top != "zh" else han
        total = sum(groups.values()) + latin_n
        others = [g for g, w in groups.items() if g != top and w >= MIN_SECOND_WEIGHT]
        decision = LangPrediction(top, round(groups[top] / total, 4), (top, others[0]) if others else (), script)
        mixed_latin = latin_n >= MIN_SECOND_WEIGHT and latin_n * 4 >= total and not others
        latin = _latin_words(cleaned, "Hani" in counts) if mixed_latin else None
        return decision, latin or None, None

    def _merge(self, decided: LangPrediction | None, pred: LangPrediction, latin: str,
               other: tuple[str, str] | None) -> LangPrediction:
        if decided is None:  # the Latin words decide
            if pred.lang != "und" and pred.script != "Latn":
                pred = pred._replace(script="Latn")
            if other is None and is_languageless(latin):
                return LangPrediction("und", 0.0, (), "Latn")
            if len(latin) <= self.short_length and pred.confidence < self.min_confidence:
                return LangPrediction("und", pred.confidence, (), "Latn")
            if other and pred.confidence < UNSURE_LATIN:  # e.g. an unknown name beside Hangul
                return LangPrediction(other[0], round(1.0 - pred.confidence, 4), (), other[1])
            if other and other[0] == "zh" and is_pinyin(latin):  # "Xiao Zhan 加油": a name in pinyin
                return LangPrediction("zh", 0.5, (), other[1])
            if other and pred.lang != "und" and not pred.mixed:
                return pred._replace(mixed=(pred.lang, other[0]))
            return pred
        if pred.lang in ("und", decided.lang) or pred.confidence < UNSURE_LATIN or is_pinyin(latin):
            return decided
        return decided._replace(mixed=(decided.lang, pred.lang))

    def _finish(self, pred: LangPrediction, hint: str | None) -> LangPrediction:
        if pred.lang not in ("id", "ms") and not pred.mixed:
            return pred
        malay = "ms" in (pred.lang, *pred.mixed)  # merged: set by _id_or_ms from the text's words
        lang = resolve_id_ms(pred.lang, hint, self.merge_id_ms, malay)
        mixed = tuple(dict.fromkeys(resolve_id_ms(x, hint, self.merge_id_ms, malay) for x in pred.mixed))
        return pred._replace(lang=lang, mixed=mixed if len(mixed) > 1 else ())

    # ----------------------------------------------------------------- annotate
    def annotate(self, batch: Sequence[Comment], predictions: Sequence[LangPrediction]) -> Batch:
        return [_WITH_LANG(c, p.lang, p.confidence, p.mixed, p.script) for c, p in zip(batch, predictions)]

    def describe(self) -> dict:
        return {"stage": self.name, "backend": getattr(self.backend, "name", str(self.backend_spec)),
                "version": getattr(self.backend, "version", None), "languages": list(self.languages),
                "min_confidence": self.min_confidence, "short_length": self.short_length,
                "merge_id_ms": self.merge_id_ms}

    def __repr__(self) -> str:
        return f"LanguageIdStage(backend={getattr(self.backend, 'name', self.backend_spec)!r})"
