"""CPU seconds of the theme lexicon's cue scan (``CueMatcher.find_many``) with the regex prefilter that
needs a string of every piece of a cue (``first_chars.required_parts``) against the one before it (one
automaton of each cue's most selective piece, ``required_substrings``), in one process, alternating.

The comments go through the default stages before ``themes`` (untimed) so each is matched by its
language's lexicon, in the run's batches of 512 (``themes_stage_speed.stage_inputs``); every batch's
texts of one lexicon are one ``find_many`` call, as in ``LexiconThemeBackend.match_batch``. Prints JSON:
the CPU seconds of each round per prefilter, the number of texts the regex is tried on, and whether
the hits are the same. Writes no text.

    python benchmarks/regex_prefilter_speed.py /tmp/lead/in20k.jsonl --rounds 15
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def calls(path: str) -> list:
    """(matcher, folded texts) of every find_many call the theme stage makes on the input."""
    from themes_stage_speed import stage_inputs

    from analyzer.text.matching import fold

    stages, inputs = stage_inputs(path, 512, ["themes"])
    lexicon = stages["themes"].backend.lexicon
    out = []
    for batch in inputs["themes"]:
        groups: dict[int, tuple] = {}
        for c in batch:
            matcher = lexicon._matcher(c.lang)[0]
            groups.setdefault(id(matcher), (matcher, []))[1].append(fold(c.model_text))
        out.extend(groups.values())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    from analyzer.text import first_chars
    from analyzer.text.matching import substring_automaton

    made = calls(args.input)
    matchers = {id(m): m for m, _ in made}
    prefilters = {
        "before": {k: (substring_automaton(first_chars.required_substrings([c.text for c in m._regex])), None)
                   for k, m in matchers.items()},
        "every_piece": {k: (m._regex_needs, m._regex_parts) for k, m in matchers.items()},
    }
    seconds: dict[str, list[float]] = {name: [] for name in prefilters}
    hits, searched = {}, {}
    for _ in range(args.rounds):
        for name, chosen in prefilters.items():
            for k, m in matchers.items():
                m._regex_needs, m._regex_parts = chosen[k]
            start = time.process_time()
            hits[name] = [m.find_many(texts) for m, texts in made]
            seconds[name].append(round(time.process_time() - start, 4))
            searched[name] = sum(len(texts) if m._regex_needs is None else
                                 len(m._rows_with_regex_needs("\x00".join(texts), [len(t) for t in texts]))
                                 for m, texts in made)
    print(json.dumps({"texts": sum(len(t) for _, t in made), "find_many_calls": len(made), "rounds": args.rounds,
                      "cpu_s": {k: {"min": min(v), "median": statistics.median(v), "all": v}
                                for k, v in seconds.items()},
                      "texts_the_regex_is_tried_on": searched, "same_hits": hits["before"] == hits["every_piece"]},
                     indent=2))


if __name__ == "__main__":
    main()
