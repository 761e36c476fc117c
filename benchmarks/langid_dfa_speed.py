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

import time

import numpy as np

from timing import emit_least_cpu, first_texts


def main() -> None:
    args, texts = first_texts(__doc__)
    from analyzer.backends.langid import Py3LangidBackend, _hashed

    if _hashed is None:
        raise SystemExit("the C kernels are not built (python setup.py build_ext --inplace)")
    backend = Py3LangidBackend()
    batches = [[t.encode("utf-8", errors="surrogatepass") for t in texts[k:k + 512]] for k in range(0, len(texts), 512)]
    same = all(all(np.array_equal(a, b) for a, b in zip(backend._distinct_features(d, compiled=True),
                                                         backend._distinct_features(d, compiled=False)))
               for d in batches)

    def one_round(spent: dict[str, float]) -> None:
        for data in batches:
            for name in spent:
                start = time.process_time()
                backend._distinct_features(data, compiled=name == "compiled")
                spent[name] += time.process_time() - start

    emit_least_cpu(args, len(texts), ("compiled", "numpy"), one_round, lambda: {"same_arrays": same})

if __name__ == "__main__":
    main()
