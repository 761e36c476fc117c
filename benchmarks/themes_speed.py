"""Throughput of themes.lexicon.v1 versus a naive baseline, side by side in one run.

Baseline: the same lexicons, matched the obvious way: for every cue of the comment's
language (+ en + common), ``cue in text.lower()`` (regex cues: ``re.search``).
Texts: our own test examples (tests/test_themes.py), repeated to N comments, plus, when
``../shared/data`` is present, real YouTube comments read at run time (never copied).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/themes_speed.py [--n 20000]
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/themes_speed.py --backend themes.hybrid.v1

With ``--backend NAME`` that backend is timed too, next to themes.lexicon.v1 in the same run.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.backends.themes_lexicon import ALWAYS, LexiconThemeBackend  # noqa: E402
from analyzer.registry import select_backend  # noqa: E402
from analyzer.text.clauses import split_clauses  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "youtube_kvariety_comments_multilingual" / "comments.jsonl"


def own_texts() -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT / "tests"))
    import test_themes as t  # our own written examples

    pairs = [(text, lang) for table in (t.THEME_EXAMPLES, t.INTENT_EXAMPLES)
             for texts in table.values() for lang, text in zip(t.LANGS, texts)]
    return pairs + [(text, lang) for lang, text, _ in t.NEAR_MISSES]


def shared_texts(limit: int) -> list[tuple[str, str]]:
    if not SHARED.is_file():
        return []
    out = []
    with open(SHARED, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            out.append((row["text"], row.get("lang") or "und"))
            if len(out) >= limit:
                break
    return out


class NaiveBackend:
    """Per-cue substring loop over the same lexicon (the baseline)."""

    def __init__(self, backend: LexiconThemeBackend) -> None:
        self.cues = {lang: [(c.label, c.text, c.kind) for c in cues if not c.block and c.label not in ("negation", "noise_whole")]
                     for lang, cues in backend.lexicons.items()}

    def predict(self, texts, langs):
        out = []
        for text, lang in zip(texts, langs):
            low = text.lower()
            labels = set()
            for name in (lang if lang in self.cues else "en", *ALWAYS):
                for label, cue, kind in self.cues.get(name, ()):
                    if (re.search(cue, low) if kind == "regex" else cue in low):
                        labels.add(label)
            if any(ch.isalpha() for ch in low):
                split_clauses(text, lang)  # the real backend also finds evidence clauses
            out.append(labels)
        return out


def rate(fn, texts, langs, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(texts, langs)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--backend", default="themes.lexicon.v1", help="another theme backend to time as well")
    args = parser.parse_args()
    backend = LexiconThemeBackend()
    other = select_backend(args.backend, "themes") if args.backend != "themes.lexicon.v1" else None
    naive = NaiveBackend(backend)
    sets = {"own examples": own_texts(), "shared youtube comments": shared_texts(args.n)}
    print(f"python {sys.version.split()[0]}; lexicon languages: {', '.join(backend.languages)}")
    for name, pairs in sets.items():
        if not pairs:
            print(f"{name}: not available")
            continue
        pairs = (pairs * (args.n // len(pairs) + 1))[:args.n]
        texts, langs = [p[0] for p in pairs], [p[1] for p in pairs]
        backend.predict(texts[:50], langs[:50])  # compile the matchers first
        fast = rate(backend.predict, texts, langs)
        slow = rate(naive.predict, texts, langs, repeat=1)
        chars = sum(map(len, texts)) / len(texts)
        print(f"{name}: {len(texts)} comments, mean {chars:.0f} chars")
        print(f"  themes.lexicon.v1 (trie at word starts) {fast:10,.0f} comments/s")
        print(f"  naive per-cue 'in' loop (baseline)      {slow:10,.0f} comments/s   speed-up x{fast / slow:.1f}")
        if other is not None:
            other.predict(texts[:50], langs[:50])  # load the model first
            print(f"  {args.backend:<39} {rate(other.predict, texts, langs):10,.0f} comments/s")


if __name__ == "__main__":
    main()
