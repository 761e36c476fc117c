"""Reference (slow, straightforward) implementations that the fast paths must agree with.

``reference_find`` is ``CueMatcher.find`` as it was before the single-scan version: one
Python step per candidate start position, ``match`` at each."""

from __future__ import annotations

import re

from analyzer.text.matching import _AFTER, _MARKS, _WORD_CHAR, NO_SPACE_CHARS, WORD, CueMatcher, Hit, trie_regex


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
