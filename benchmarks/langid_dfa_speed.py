"""CPU seconds of py3langid's automaton features (``Py3LangidBackend._distinct_features``: the walk,
the sort and the counts of each text's features) by the C kernel and by the numpy walk it
replaced, in the same process, interleaved, on the same batches, and whether they agree.

    python benchmarks/langid_dfa_speed.py /tmp/lead/in20k.jsonl [--n 20000] [--rounds 5] \\
        [--json-out benchmarks/results/X.json]

The texts are the ``text`` fields of the first N records of a JSONL (as ``cli_speed.write_input``
writes), UTF-8 encoded as the backend does, in batches of 512. Each round times every batch by
both paths (``time.process_time``); the least CPU of the rounds is reported. No text is written.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input")
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    from analyzer.backends.langid import Py3LangidBackend, _hashed

    if _hashed is None:
        raise SystemExit("the C kernels are not built (python setup.py build_ext --inplace)")
    backend = Py3LangidBackend()
    with open(args.input, encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in itertools.islice(handle, args.n)]
    batches = [[t.encode("utf-8", errors="surrogatepass") for t in texts[k:k + 512]] for k in range(0, len(texts), 512)]
    same = all(all(np.array_equal(a, b) for a, b in zip(backend._distinct_features(d, compiled=True),
                                                         backend._distinct_features(d, compiled=False)))
               for d in batches)
    best = {"compiled": float("inf"), "numpy": float("inf")}
    rounds = []
    for _ in range(args.rounds):
        spent = dict.fromkeys(best, 0.0)
        for data in batches:
            for name in best:
                start = time.process_time()
                backend._distinct_features(data, compiled=name == "compiled")
                spent[name] += time.process_time() - start
        rounds.append({k: round(v, 4) for k, v in spent.items()})
        best = {k: min(best[k], spent[k]) for k in best}
    out = {"input": args.input, "n": len(texts), "load_average": [round(x, 2) for x in os.getloadavg()],
           "same_arrays": same, "rounds": rounds, "least_cpu_s": {k: round(v, 4) for k, v in best.items()},
           "compiled_over_numpy": round(best["compiled"] / best["numpy"], 3)}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
