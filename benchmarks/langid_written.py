"""Short comments we wrote ourselves, per language: our stage (any lexicons) against py3langid.

    python benchmarks/langid_written.py                        # the bundled lexicon
    python benchmarks/langid_written.py --lexicon old=/tmp/lexicon_10b772d.npz --lexicon now=analyzer/_models/langid/lexicon.npz

Texts: ``data/devsets/langid_written_short.jsonl`` (<= 20 characters, written by the
project's engineers as typical drama/video comments, not taken from any dataset). Accuracy
per language in %, ``und`` wrong (``--merge-id-ms``: id and ms as one, as the stage reports
them without a region); ``--data tests/fixtures/langid_short.tsv`` scores the older list; ``--show-wrong`` lists the misses of each system.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WRITTEN = ROOT / "data" / "devsets" / "langid_written_short.jsonl"


def read(path: Path = WRITTEN) -> list[tuple[str, str]]:
    """(lang, text) rows of a jsonl file, or of a ``lang<TAB>text`` file (tests/fixtures/langid_short.tsv)."""
    with open(path, encoding="utf-8") as fh:
        if path.suffix == ".tsv":
            return [tuple(line.rstrip("\n").split("\t", 1)) for line in fh if line.strip()]
        return [(row["lang"], row["text"]) for row in map(json.loads, fh)]


def ours(lexicon: Path):
    from analyzer.backends.langid import Py3LangidBackend
    from analyzer.stages.langid import LanguageIdStage

    stage = LanguageIdStage(backend=Py3LangidBackend(lexicon=lexicon))
    return lambda texts: [p.lang for p in stage.predict_texts(texts)]


def py3langid():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from analyzer.backends.langid import DEFAULT_LANGUAGES

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(DEFAULT_LANGUAGES))
    return lambda texts: [ident.classify(t)[0] for t in texts]


def table(gold, preds: dict[str, list[str]]) -> str:
    langs = list(dict.fromkeys(lang for lang, _ in gold))
    lines = ["| lang | n | " + " | ".join(preds) + " |", "|---|---|" + "---|" * len(preds)]
    for lang in langs + ["avg", "all"]:
        cells = []
        for p in preds.values():
            hits = defaultdict(list)
            for (g, _), x in zip(gold, p):
                hits[g].append(x == g)
            if lang == "avg":
                cells.append(sum(sum(h) / len(h) for h in hits.values()) / len(hits))
            elif lang == "all":
                cells.append(sum(sum(h) for h in hits.values()) / len(gold))
            else:
                cells.append(sum(hits[lang]) / len(hits[lang]))
        n = len(gold) if lang in ("avg", "all") else sum(g == lang for g, _ in gold)
        lines.append(f"| {lang} | {n} | " + " | ".join(f"{100 * c:.1f}" for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lexicon", action="append", default=[], metavar="NAME=PATH",
                    help="a lexicon to score as 'ours (NAME)' (repeatable; default: the bundled one)")
    ap.add_argument("--data", type=Path, default=WRITTEN, help="jsonl (text, lang) or tsv (lang, text) of short comments")
    ap.add_argument("--merge-id-ms", action="store_true", help="count id and ms as one language (the stage's default)")
    ap.add_argument("--show-wrong", action="store_true")
    args = ap.parse_args()
    if not args.lexicon:
        from analyzer.backends.langid import LEXICON_PATH

        args.lexicon = [f"now={LEXICON_PATH}"]
    gold = read(args.data)
    if args.merge_id_ms:
        gold = [("id" if lang == "ms" else lang, text) for lang, text in gold]
    texts = [t for _, t in gold]
    preds = {f"ours ({name})": ours(Path(path))(texts) for name, path in (x.split("=", 1) for x in args.lexicon)}
    preds["py3langid"] = py3langid()(texts)
    if args.merge_id_ms:
        preds = {name: ["id" if x == "ms" else x for x in p] for name, p in preds.items()}
    print(table(gold, preds))
    if args.show_wrong:
        for name, p in preds.items():
            wrong = [f"{t!r} {g}->{x}" for (g, t), x in zip(gold, p) if x != g]
            print(f"\n{name} wrong ({len(wrong)}): " + "; ".join(wrong))


if __name__ == "__main__":
    main()
