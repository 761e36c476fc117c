"""The regex prefilters of the cue matcher and the clause splitter change no result, on real comments.

``CueMatcher`` skips its regex cues, and ``clauses._clause_spans`` its contrast-conjunction pattern,
for texts that hold none of the strings every match holds (``first_chars.required_substrings``).
This script runs both with the prefilter and with it switched off (the scan on every text, as
before) over the same comments and counts the texts whose hits or clause spans differ: every
lexicon's matcher (``find_many`` over batches of 512 folded texts, as in a run) and the clause
splitter for each listed language. Input: a JSONL file with a ``text`` field (e.g. one written by
``benchmarks/cli_speed.write_input``). Prints JSON; writes no text.

    python benchmarks/regex_prefilter_equivalence.py /tmp/lead/in200k.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

BATCH = 512
MATCHER_LANGS = ("en", "zh", "ko", "ja", "th", "vi", "id", "es", "xx")  # xx: unknown, every lexicon
CLAUSE_LANGS = (None, "en", "zh", "ko", "ja", "th", "vi", "id", "es", "pt", "fr", "it", "tr", "ar")


def read_texts(path: Path, limit: int | None) -> list[str]:
    texts = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            texts.append(json.loads(line).get("text") or "")
            if limit is not None and len(texts) >= limit:
                break
    return texts


def matcher_differences(texts: list[str]) -> dict:
    from analyzer.backends.themes_lexicon import LexiconThemeBackend
    from analyzer.text.matching import fold

    lows = [fold(text) for text in texts]
    backend = LexiconThemeBackend(threshold=0.4)
    out = {}
    for lang in MATCHER_LANGS:
        matcher, _ = backend._matcher(lang)
        needs = matcher._regex_needs
        fast = [h for i in range(0, len(lows), BATCH) for h in matcher.find_many(lows[i:i + BATCH])]
        matcher._regex_needs = None
        slow = [h for i in range(0, len(lows), BATCH) for h in matcher.find_many(lows[i:i + BATCH])]
        matcher._regex_needs = needs
        out[lang] = {"differ": sum(a != b for a, b in zip(fast, slow)),
                     "regex_hits": sum(h.cues[0].kind == "regex" for hits in fast for h in hits)}
    return out


def clause_differences(texts: list[str]) -> dict:
    from analyzer.text import clauses

    spans = clauses._clause_spans.__wrapped__  # uncached
    out = {}
    for lang in CLAUSE_LANGS:
        fast = [spans(text, lang) for text in texts]
        needs = clauses._pattern_needs
        clauses._pattern_needs = lambda code: None
        try:
            slow = [spans(text, lang) for text in texts]
        finally:
            clauses._pattern_needs = needs
        out[str(lang)] = {"differ": sum(a != b for a, b in zip(fast, slow)),
                          "several_clauses": sum(len(s) > 1 for s in fast)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input", type=Path, help="JSONL with a text field")
    parser.add_argument("--limit", type=int, help="only the first N records")
    args = parser.parse_args()
    texts = read_texts(args.input, args.limit)
    matchers, spans = matcher_differences(texts), clause_differences(texts)
    total = sum(v["differ"] for v in matchers.values()) + sum(v["differ"] for v in spans.values())
    print(json.dumps({"texts": len(texts), "matchers": matchers, "clause_spans": spans, "differences": total},
                     indent=2))


if __name__ == "__main__":
    main()
