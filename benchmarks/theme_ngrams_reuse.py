"""CPU seconds of themes.hybrid.v1's head probabilities for a batch whose n-grams the sentiment
stage has just made (``text_features._Recent``: taken, their columns masked) and for the same
batch with that memo cleared first (normalized and hashed again, as before the memo), in the same
process, interleaved, and whether the probabilities are the same.

    python benchmarks/theme_ngrams_reuse.py /tmp/lead/in20k.jsonl [--n 20000] [--rounds 5] \\
        [--json-out benchmarks/results/X.json]

The texts are the ``text`` fields of the first N records (batches of 512, every text kept).
Per batch and round: ``LinearSentimentBackend.predict_proba`` (untimed, as the sentiment stage
runs it), then ``HybridModel.probabilities`` timed once with the memo as the sentiment call left
it and once after clearing it (the clearing untimed); the least CPU of the rounds is reported.
No text is written.
"""

from __future__ import annotations

import time

import numpy as np

from timing import emit_least_cpu, first_texts


def main() -> None:
    args, texts = first_texts(__doc__)
    from analyzer.backends import text_features
    from analyzer.backends.sentiment_linear import LinearSentimentBackend
    from analyzer.backends.themes_hybrid import HEADS, HybridThemeBackend

    sentiment, model = LinearSentimentBackend(), HybridThemeBackend().model
    batches = [texts[k:k + 512] for k in range(0, len(texts), 512)]
    same = True

    def one_round(spent: dict[str, float]) -> None:
        nonlocal same
        for batch in batches:
            lex = np.zeros((len(batch), len(HEADS)), dtype=np.float32)
            found = {}
            for name in spent:
                sentiment.predict_proba(batch)
                if name == "made_again":
                    text_features.forget_recent()
                start = time.process_time()
                found[name] = model.probabilities(batch, lex)
                spent[name] += time.process_time() - start
            same = same and np.array_equal(found["reused"], found["made_again"])

    emit_least_cpu(args, len(texts), ("reused", "made_again"), one_round, lambda: {"same_probabilities": same})

if __name__ == "__main__":
    main()
