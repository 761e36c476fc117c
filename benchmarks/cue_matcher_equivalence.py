"""The cue matcher of this tree against a baseline tree's, hit for hit, on real comments.

Every lexicon's matcher (each language's cues plus English and ``common``, and the
every-lexicon matcher of unknown languages) is built in both trees from the same cues; each
real comment from ``../shared/data`` (folded) is matched by both, as it is and with cues of that
matcher spliced in at random places (a fixed seed), so rare cues, word boundaries, prefixes,
blockers and Han/Thai/Hangul substrings all get exercised. Hits are compared as (start, end,
cues); the same texts are also matched ``BATCH`` at a time by this tree's ``find_many`` (one
automaton scan over the texts joined by NUL) and compared the same way. The baseline tree is any folder holding an ``analyzer`` package (e.g.
``git worktree add --detach /tmp/base 10b772d``); its ``analyzer/text`` is loaded under
another name, so both matchers run in one process. Prints JSON; writes no text.

    python benchmarks/cue_matcher_equivalence.py --baseline /tmp/base --n 20000
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BATCH = 512  # texts per ``find_many`` call, as in a run's batches
sys.path.insert(0, str(HERE))


def baseline_matching(tree: Path):
    """``analyzer.text.matching`` of the baseline tree, imported as ``baseline_text.matching``."""
    folder = tree / "analyzer" / "text"
    spec = importlib.util.spec_from_file_location("baseline_text", folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_text"] = module
    spec.loader.exec_module(module)
    return importlib.import_module("baseline_text.matching")


def _key(hits) -> list:
    return [(h.start, h.end, tuple((c.label, c.text, c.kind, c.weight, c.block) for c in h.cues)) for h in hits]


def main() -> None:
    from cli_speed import real_texts

    from analyzer.backends.themes_lexicon import LexiconThemeBackend
    from analyzer.text.matching import fold

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--n", type=int, default=20000, help="real comments per matcher")
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--spliced", type=int, default=3, help="cues spliced into each comment's copy")
    args = parser.parse_args()
    old = baseline_matching(args.baseline)
    lexicon = LexiconThemeBackend(threshold=0.4)
    texts = [fold(t) for t in real_texts(args.data)[:args.n]]
    rng = random.Random(0)
    report = {"n_texts": len(texts), "matchers": {}, "differences": 0, "batch_differences": 0}
    seconds = {"baseline": 0.0, "current": 0.0}
    for lang in (*lexicon.languages, None):
        new_matcher = lexicon._matcher(lang)[0]
        cues = [c for group in new_matcher._literal.values() for cs in group.values() for c in cs] + new_matcher._regex
        old_matcher = old.CueMatcher(cues)
        words = sorted({c.text for c in cues if c.kind != "regex"})
        compared = hits = 0
        variants, expected = [], []
        for text in texts:
            spliced = text
            for _ in range(args.spliced):
                at = rng.randrange(len(spliced) + 1)
                glue = rng.choice(["", " ", "s ", ", ", "#"])
                spliced = spliced[:at] + glue + rng.choice(words) + rng.choice(["", " ", "ing", "x", "。"]) + spliced[at:]
            for variant in (text, spliced):
                start = time.process_time()
                a = old_matcher.find(variant)
                middle = time.process_time()
                b = new_matcher.find(variant)
                seconds["baseline"] += middle - start
                seconds["current"] += time.process_time() - middle
                compared += 1
                hits += len(b)
                variants.append(variant)
                expected.append(_key(a))
                if _key(a) != _key(b):
                    report["differences"] += 1
                    if report["differences"] <= 5:
                        print("DIFFERENT", lang, repr(variant[:200]), _key(a), _key(b), file=sys.stderr)
        for start in range(0, len(variants), BATCH):  # the batch scan: the same hits, text by text
            batch = variants[start:start + BATCH]
            for variant, a, b in zip(batch, expected[start:start + BATCH], new_matcher.find_many(batch)):
                if a != _key(b):
                    report["batch_differences"] += 1
                    if report["batch_differences"] <= 5:
                        print("DIFFERENT (find_many)", lang, repr(variant[:200]), a, _key(b), file=sys.stderr)
        report["matchers"][lang or "*"] = {"texts": compared, "hits": hits}
    report["identical"] = report["differences"] == 0 and report["batch_differences"] == 0
    report["cpu_seconds_find"] = {k: round(v, 3) for k, v in seconds.items()}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
