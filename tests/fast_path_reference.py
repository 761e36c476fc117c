"""Reference (slow, straightforward) implementations that the fast paths must agree with.

``reference_find`` is ``CueMatcher.find`` as it was before the single-scan version: one
Python step per candidate start position, ``match`` at each."""

from __future__ import annotations

import re

from analyzer.text.matching import _AFTER, _MARKS, _WORD_CHAR, NO_SPACE_CHARS, WORD, CueMatcher, Hit, fold, trie_regex


def _patterns(matcher: CueMatcher):
    lit = matcher._literal
    extra = {c.text[0] for g in lit.values() for t in g for c in g[t] if not re.match(WORD, c.text[0])}
    starts = re.compile(f"[{NO_SPACE_CHARS}{''.join(re.escape(ch) for ch in sorted(extra))}]"
                        f"|(?<!{_WORD_CHAR})(?<![{_MARKS}]){_WORD_CHAR}")
    parts = []
    if lit["w"]:
        parts.append(f"(?P<w>{trie_regex(lit['w'])}){_AFTER}")
    if lit["p"]:
        parts.append(f"(?P<p>{trie_regex(lit['p'])})(?:{WORD})*")
    if lit["s"]:
        parts.append(f"(?P<s>{trie_regex(lit['s'])})")
    literal = re.compile("|".join(parts)) if parts else None
    regex = re.compile("|".join(f"(?P<r{i}>{f'(?:{c.text}){_AFTER}' if c.bounded else c.text})"
                                for i, c in enumerate(matcher._regex))) if matcher._regex else None
    return starts, literal, regex


def reference_find(matcher: CueMatcher, text: str) -> list[Hit]:
    starts, literal, regex = _patterns(matcher)
    hits: list[Hit] = []
    for candidate in starts.finditer(text):
        pos = candidate.start()
        if literal is not None and (m := literal.match(text, pos)) is not None:
            hits.append(Hit(pos, m.end(), tuple(matcher._literal[m.lastgroup][m.group(m.lastgroup)])))
        if regex is not None and (m := regex.match(text, pos)) is not None:
            hits.append(Hit(pos, m.end(), (matcher._regex[int(m.lastgroup[1:])],)))
    blocks = [(h.start, h.end) for h in hits if all(c.block for c in h.cues)]
    kept = []
    for h in hits:
        cues = tuple(c for c in h.cues if not c.block)
        if cues and not any(s < h.end and h.start < e for s, e in blocks):
            kept.append(h if len(cues) == len(h.cues) else Hit(h.start, h.end, cues))
    return kept



def hits_matching_the_reference(matcher: CueMatcher, texts) -> int:
    """Asserts ``matcher.find`` equals ``reference_find`` on every text (``fold``-ed); returns
    how many hits were found, so a test can check the examples exercised the matcher."""
    found = 0
    for text in texts:
        low = fold(text)
        hits = matcher.find(low)
        assert hits == reference_find(matcher, low), text
        found += len(hits)
    return found

def reference_signature(hasher, text: str, n: int = 4):
    """``MinHasher.signature`` as it was: a Python set of n-grams and ``zlib.crc32`` each."""
    import zlib

    import numpy as np

    grams = {text[i:i + n] for i in range(max(1, len(text) - n + 1))}
    hashes = np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams))
    return ((hashes[:, None] * hasher.a + hasher.b) % hasher.PRIME).min(axis=0).astype(np.uint32)


def reference_hybrid_batch(backend, texts, langs):
    """``HybridThemeBackend._predict_batch`` as it was: every head of every row in Python."""
    import numpy as np

    from analyzer.backends.base import ThemeMatch
    from analyzer.backends.themes_hybrid import HEADS, LEXICON_FIRES, NOISE
    from analyzer.schema import INTENTS, THEMES

    matches = backend.lexicon.predict(texts, langs)
    keep = [i for i, m in enumerate(matches) if not m.noise]
    out = [NOISE] * len(texts)
    if not keep:
        return out
    kept = [matches[i] for i in keep]
    lex = np.zeros((len(kept), len(HEADS)), dtype=np.float32)
    for row, m in enumerate(kept):
        for col, head in enumerate(HEADS):
            lex[row, col] = (1.0 if head in m.intents else 0.0) if head in INTENTS else m.themes.get(head, 0.0)
    model = backend.model
    probs = model.probabilities([texts[i] for i in keep], lex)
    for row, i in enumerate(keep):
        scores = {}
        for k, head in enumerate(HEADS):
            score = float(probs[row, k]) if probs[row, k] >= model.thresholds[k] else 0.0
            if model.union and head not in INTENTS and lex[row, k] >= LEXICON_FIRES:
                score = max(score, float(lex[row, k]))
            if score > 0.0:
                scores[head] = score
        intents = tuple(x for x in INTENTS if x in scores)
        if intents:
            scores["intent"] = max(scores[x] for x in intents)
        if "where_to_watch" in scores:
            scores["access"] = max(scores.get("access", 0.0), scores["where_to_watch"])
        themes = {t: round(scores[t], 4) for t in THEMES if t in scores}
        whole = (texts[i].strip(),)
        out[i] = ThemeMatch(themes, intents, False, {t: kept[row].evidence.get(t) or whole for t in themes})
    return out


def use_reference_paths(monkeypatch) -> None:
    """Swap every fast path for its reference implementation (for comparison tests)."""
    import dataclasses
    import re as _re

    import numpy as np

    from analyzer.backends.themes_hybrid import HybridThemeBackend
    from analyzer.io import jsonstream
    from analyzer.schema import Comment
    from analyzer.stages import link as link_stage
    from analyzer.stages import normalize as normalize_stage
    from analyzer.stages.dedup import MinHasher
    from analyzer.text import normalize, repair

    monkeypatch.setattr(CueMatcher, "find", reference_find)
    monkeypatch.setattr(MinHasher, "signatures",
                        lambda self, texts, n=4: np.stack([reference_signature(self, t, n) for t in texts])
                        if texts else np.zeros((0, len(self.a)), np.uint32))
    monkeypatch.setattr(normalize, "_SAFE", _re.compile("(?!)"))
    monkeypatch.setattr(repair, "ENABLED", False)  # every text through ftfy itself
    monkeypatch.setattr(normalize, "_DOT_HINT", _re.compile(rf"(?i)://|www\.|\.(?:{normalize._TLDS})"))
    monkeypatch.setattr(normalize, "needs_folding", lambda text: True)
    monkeypatch.setattr(normalize, "is_clean", lambda text, mask: False)
    monkeypatch.setattr(jsonstream, "orjson", None)  # json alone
    monkeypatch.setattr(Comment, "with_", lambda self, **changes: dataclasses.replace(self, **changes))
    monkeypatch.setattr(normalize_stage, "_WITH_CLEAN_TEXT", lambda c, clean: dataclasses.replace(c, clean_text=clean))
    monkeypatch.setattr(link_stage, "_WITH_DRAMA", lambda c, drama, confidence, extra: dataclasses.replace(
        c, drama=drama, drama_confidence=confidence, extra=extra))
    monkeypatch.setattr(HybridThemeBackend, "_predict_batch", reference_hybrid_batch)
