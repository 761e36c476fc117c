"""Evaluate themes.e5.v1 on the hand-labelled dev set, side by side with themes.lexicon.v1
and themes.hybrid.v1 in the same run (the dev set is used for no training or tuning
choice). Also: per source (YouTube variety-show comments vs NSMC movie reviews), per
intent, and, for reference, stance macro-F1 and theme-polarity accuracy with
sentiment.linear.v1, sentiment.e5.v1 and sentiment.ensemble.v1 (themes from themes.e5.v1). With --own, our
synthetic comments (training data: a sanity check, not a held-out number). Texts are
joined from ../shared/data at run time; one e5 encoder, each text encoded once. With
--records FILE, a labelled JSONL in TAXONOMY's evaluation format (texts included, e.g.
data/devsets/drama_proxy.jsonl) replaces the dev set, and the per-source table is skipped.

    OMP_NUM_THREADS=1 python -m training.themes_e5.evaluate [--own] [--json FILE]
    OMP_NUM_THREADS=1 python -m training.themes_e5.evaluate --records data/devsets/drama_proxy.jsonl
"""

from __future__ import annotations

import argparse
import json
from types import SimpleNamespace

from training.themes_e5.common import ROOT

ENSEMBLE_DIR = ROOT / "analyzer" / "_models" / "sentiment-ensemble"  # the shipped weights

from analyzer.backends.embedding.cache import EmbeddingCache
from analyzer.backends.embedding.lora import adapter_digest
from analyzer.backends.sentiment_e5 import HEAD_DIR, E5SentimentBackend
from analyzer.backends.embedding.e5 import E5Encoder
from analyzer.backends.sentiment_ensemble import EnsembleSentimentBackend
from analyzer.backends.sentiment_linear import LinearSentimentBackend
from analyzer.backends.themes_e5 import E5ThemeBackend
from analyzer.backends.themes_hybrid import HybridThemeBackend
from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.evaluation.devset import load_devset
from analyzer.evaluation.themes import evaluate_themes, format_report, read_labelled
from analyzer.schema import INTENTS
from training.common import TRAINSETS, read_jsonl

KEYS = ("theme_micro_precision", "theme_micro_recall", "theme_micro_f1", "theme_macro_f1",
        "intent_micro_f1", "intent_macro_f1")


def hybrid_evaluate_module():
    """``training.themes_hybrid.evaluate`` (its side-by-side table and one-line summary)."""
    from training.themes_hybrid import evaluate

    return evaluate


def intent_table(results: dict[str, dict]) -> str:
    names = list(results)
    lines = [f"{'intent':<16}{'n':>5}" + "".join(f"{n[:20]:>22}" for n in names)]
    for intent in INTENTS:
        support = results[names[0]]["intents"][intent]["support"]
        lines.append(f"{intent:<16}{support:>5}" + "".join(f"{results[n]['intents'][intent]['f1']:>22.2f}" for n in names))
    return "\n".join(lines)


def e5_sentiment(encoder, threads: int) -> E5SentimentBackend:
    """sentiment.e5.v1, sharing the theme encoder when it has the sentiment head's adapter."""
    if encoder.adapter_sha1 == adapter_digest(HEAD_DIR):
        return E5SentimentBackend(encoder_obj=encoder)
    return E5SentimentBackend(threads=threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", default=str(ROOT / "data" / "devsets" / "comments_dev.labels.jsonl"))
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--model", default=None, help="themes.e5.v1 folder (default: the shipped one)")
    parser.add_argument("--own", action="store_true", help="also score our synthetic comments (training data)")
    parser.add_argument("--records", default=None, help="labelled JSONL with texts, instead of the dev set")
    parser.add_argument("--json", default=None, help="also write the summary numbers here")
    args = parser.parse_args()
    hybrid_eval = hybrid_evaluate_module()
    if args.records:
        records = read_labelled(args.records)
        print(f"{args.records}: {len(records)} labelled records\n")
    else:
        records = load_devset(args.labels, args.shared)
        print(f"dev set: {len(records)} records joined from {args.shared}\n")
    themes_e5 = E5ThemeBackend(path=args.model)
    encoder = EmbeddingCache(E5Encoder(threads=args.threads, adapter=themes_e5.adapter()), capacity=1 << 16)
    themes_e5.share_embeddings(SimpleNamespace(encoder=encoder))
    backends = {"themes.lexicon.v1": LexiconThemeBackend(), "themes.hybrid.v1": HybridThemeBackend(),
                "themes.e5.v1": themes_e5}
    results = {name: evaluate_themes(records, backend, None) for name, backend in backends.items()}
    print(format_report(results["themes.e5.v1"]))
    print("\nside by side (same run):")
    print(hybrid_eval.side_by_side(results))
    print("\nper intent F1 (same run):")
    print(intent_table(results))
    if not args.records:
        print("\nper source:")
        print(hybrid_eval.per_source(records, backends))
    print("\nstance and theme polarity (themes from themes.e5.v1; same run):")
    stance = {}
    e5 = e5_sentiment(encoder, args.threads)
    for name, sentiment in (("sentiment.linear.v1", LinearSentimentBackend()), ("sentiment.e5.v1", e5),
                            ("sentiment.ensemble.v1", EnsembleSentimentBackend(members=[LinearSentimentBackend(), e5],
                                                                  path=str(ENSEMBLE_DIR)))):
        res = evaluate_themes(records, backends["themes.e5.v1"], sentiment)
        stance[name] = {k: res[k] for k in ("stance_n", "stance_macro_f1", "stance_accuracy", "polarity_accuracy",
                                              "polarity_pairs")}
        print(f"{name:<22} stance macro-F1 {res['stance_macro_f1']:.3f} (accuracy {res['stance_accuracy']:.3f}, "
              f"n={res['stance_n']})  theme polarity accuracy {res['polarity_accuracy']:.3f} "
              f"on {res['polarity_pairs']} labelled themes")
    if args.own:
        own = read_jsonl(TRAINSETS / "themes_synthetic.jsonl")
        print("\nsynthetic drama comments (training data for both models; not held out):")
        for name, backend in backends.items():
            print(hybrid_eval.summary(f"synthetic / {name}", evaluate_themes(own, backend, None)))
    if args.json:
        summary = {name: {k: round(res[k], 4) for k in KEYS} for name, res in results.items()}
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"records": args.records or args.labels, "n": len(records), "themes": summary,
                       "stance": stance}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
