"""Language-ID benchmark: our LanguageIdStage against off-the-shelf detectors, same texts, same run.

    python benchmarks/langid.py                      # writes benchmarks/results/langid.md
    python benchmarks/langid.py --per-cell 0 --systems ours,py3langid   # whole held-out part

Texts: rows of ../shared/data whose ``lang`` comes from the source (not
``lang_is_auto``), the ``test`` part of the seeded split that the lexicon was
trained without (see training/langid/data.py; the seed is read from the lexicon).
Up to ``--per-cell`` texts per (language, length bucket) are drawn in hash order so
the slow baselines finish. The xlm-t "hi" tweets are romanized Hindi/English, not
Devanagari: they get their own row ``hi-Latn`` and stay out of the averages.

Each system predicts in its own process (single process, no threads asked for); peak
memory is that process's peak RSS minus its RSS before the system was built. texts/s:
ours, ours-no-lexicon and py3langid are timed in turns in one process, best of
``--repeats`` passes, each system built afresh (outside the timer) for every pass so the
stage's per-run answer cache starts empty, and load from other jobs hits them alike; lingua and langdetect are
timed on their one pass. ``und`` counts as wrong.

``--labels corrected`` scores on the re-read labels of ``data/devsets/langid_relabel.jsonl``
(every held-out text that ours or plain py3langid got "wrong" on the source label was read;
texts with no single language are left out of the scoring); ``--labels both`` (default)
shows the source-label and corrected-label figures side by side.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.langid.data import read_rows, snippet, split

from analyzer.backends.langid import clean_for_langid

RELABEL = ROOT / "data" / "devsets" / "langid_relabel.jsonl"
BUCKETS = ("<=20", "21-60", ">60", "snippets")
LATIN_LANGS = ("en", "es", "pt", "fr", "de", "it", "id", "ms", "tl", "vi", "tr")
_SNIPPETS: set[str] = set()  # texts cut from longer held-out texts (their own bucket)
SYSTEMS = ("ours", "ours-no-lexicon", "py3langid", "py3langid-ms-as-id", "lingua", "langdetect")
LABELS = {
    "ours": "ours: LanguageIdStage (langid.py3langid.v1 + lexicon)",
    "ours-no-lexicon": "ours without lexicon (script rules + py3langid)",
    "py3langid": "py3langid 0.4.0 restricted, norm_probs",
    "py3langid-ms-as-id": "same, its ms answers counted as id",
    "lingua": "lingua restricted, high accuracy",
    "langdetect": "langdetect 1.0.9, seed 0",
}


def bucket(text: str) -> str:
    if text in _SNIPPETS:
        return "snippets"
    n = len(text)
    return BUCKETS[0] if n <= 20 else (BUCKETS[1] if n <= 60 else BUCKETS[2])


def label(lang: str, text: str) -> str:
    if lang == "hi" and not any("\u0900" <= ch <= "\u097f" for ch in text):
        return "hi-Latn"
    return lang


def sample(seed: int, per_cell: int) -> list[tuple[str, str]]:
    """Held-out texts per (language, bucket). Texts with no letters (emoji, digits, links
    only) are left out: there is no language to find in them, and ``und`` is right."""
    test = split(read_rows(), seed)["test"]
    texts = {text for _, text, _ in test}
    cells: dict[tuple[str, str], list] = defaultdict(list)
    for lang, text, _ in test:
        if not clean_for_langid(text):
            continue
        cells[(label(lang, text), bucket(text))].append((label(lang, text), text))
        cut = snippet(text) if lang in LATIN_LANGS and len(text) > 60 else None
        if cut and cut not in texts:
            _SNIPPETS.add(cut)
            cells[(label(lang, text), "snippets")].append((label(lang, text), cut))
    out = []
    for key in sorted(cells):
        out.extend(cells[key][:per_cell] if per_cell else cells[key])
    return out


def load_relabels(path: Path = RELABEL) -> dict[tuple[str, str], str]:
    """(sha1 of the scored text, source label) -> corrected label (``und``: not scored)."""
    table = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row.get("part", "test") == "test":  # train/dev rows are the lexicon's (training/langid/data.py)
                table[(row["sha1"], row["source"])] = row["corrected"]
    return table


def relabel(gold: list[tuple[str, str]], table: dict) -> list[str]:
    """The corrected label of each gold text (its source label where it was not re-read)."""
    return [table.get((hashlib.sha1(text.encode()).hexdigest(), lang), lang) for lang, text in gold]


# ------------------------------------------------------------------ systems
def build(name: str, lexicon: Path):
    """A function texts -> list of language codes."""
    from analyzer.backends.langid import DEFAULT_LANGUAGES

    langs = list(DEFAULT_LANGUAGES)
    if name in ("ours", "ours-no-lexicon"):
        from analyzer.backends.langid import Py3LangidBackend
        from analyzer.stages.langid import LanguageIdStage

        stage = LanguageIdStage(backend=Py3LangidBackend(lexicon=None if name == "ours-no-lexicon" else lexicon))
        return lambda texts: [p.lang for p in stage.predict_texts(texts)]
    if name in ("py3langid", "py3langid-ms-as-id"):
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        ident.set_languages(langs)
        if name == "py3langid":
            return lambda texts: [ident.classify(t)[0] for t in texts]
        rename = {"ms": "id"}  # our stage's default merge, applied to the baseline
        return lambda texts: [rename.get(c, c) for c in (ident.classify(t)[0] for t in texts)]
    if name == "lingua":
        from lingua import Language, LanguageDetectorBuilder

        by_code = {x.iso_code_639_1.name.lower(): x for x in Language.all()}
        detector = LanguageDetectorBuilder.from_languages(*(by_code[x] for x in langs)).build()

        def run(texts):
            out = []
            for t in texts:
                found = detector.detect_language_of(t)
                out.append(found.iso_code_639_1.name.lower() if found else "und")
            return out

        return run
    if name == "langdetect":
        import langdetect

        langdetect.DetectorFactory.seed = 0

        def run(texts):
            out = []
            for t in texts:
                try:
                    code = langdetect.detect(t).split("-")[0]
                except langdetect.LangDetectException:
                    code = "und"
                out.append(code)
            return out

        return run
    raise SystemExit(f"unknown system {name!r}; choose from {', '.join(SYSTEMS)}")


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


FAST = ("ours", "ours-no-lexicon", "py3langid", "py3langid-ms-as-id")


def worker(name: str, seed: int, per_cell: int, lexicon: Path) -> None:
    """Predictions and peak memory of one system (slow systems are also timed here, once)."""
    texts = [t for _, t in sample(seed, per_cell)]
    before = rss_mib()
    predict = build(name, lexicon)
    predict(texts[:50])  # warm-up (lazy model loading)
    start = time.perf_counter()
    preds = predict(texts)
    elapsed = time.perf_counter() - start
    if name in FAST and predict(texts) != preds:
        raise SystemExit(f"{name}: predictions changed between runs")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump({"preds": preds, "texts_per_s": len(texts) / elapsed, "peak_mib": peak - before}, sys.stdout)


def timing(names: list[str], seed: int, per_cell: int, repeats: int, lexicon: Path) -> None:
    """texts/s of the fast systems, timed in turns in one process (best of ``repeats``), so
    that load from other jobs on the machine hits them alike."""
    texts = [t for _, t in sample(seed, per_cell)]
    best = {name: float("inf") for name in names}
    for _ in range(repeats):
        for name in names:
            predict = build(name, lexicon)  # afresh each pass: no answers remembered from the last one
            predict(texts[:50])
            start = time.perf_counter()
            predict(texts)
            best[name] = min(best[name], time.perf_counter() - start)
    json.dump({name: len(texts) / t for name, t in best.items()}, sys.stdout)


def _run(args, *extra: str) -> dict:
    cmd = [sys.executable, __file__, "--seed", str(args.seed), "--per-cell", str(args.per_cell),
           "--repeats", str(args.repeats), "--lexicon", str(args.lexicon), *extra]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


# ------------------------------------------------------------------ scoring
def score(gold: list[tuple[str, str]], preds: list[str]) -> dict:
    cells: dict[tuple[str, str], list[int]] = defaultdict(list)
    und = 0
    for (lang, text), pred in zip(gold, preds):
        if lang == "und":  # re-read: no single language to find, left out
            continue
        hit = int(pred == lang)
        cells[(lang, bucket(text))].append(hit)
        if bucket(text) != "snippets":
            cells[(lang, "all")].append(hit)
        und += pred == "und" and lang != "hi-Latn"
    langs = sorted({lang for lang, _ in gold if lang not in ("hi-Latn", "und")})
    macro = {}
    for b in BUCKETS + ("all",):
        accs = [sum(cells[(x, b)]) / len(cells[(x, b)]) for x in langs if len(cells[(x, b)]) >= 20]
        macro[b] = _mean(accs)  # nan where no language has 20 texts in the bucket
    micro = {b: _mean([h for x in langs for h in cells[(x, b)]]) for b in BUCKETS + ("all",)}
    n_scored = sum(1 for lang, _ in gold if lang not in ("hi-Latn", "und"))
    return {"cells": cells, "macro": macro, "micro": micro, "und_rate": und / n_scored}


def _mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def columns(gold, results: dict, labels: str) -> dict[str, dict]:
    """One scored column per system and label set: {title: {"score", "gold", result fields}}."""
    golds = {"source": gold}
    if labels in ("corrected", "both"):
        golds["corrected"] = list(zip(relabel(gold, load_relabels()), (text for _, text in gold)))
    if labels == "corrected":
        del golds["source"]
    out = {}
    for which, g in golds.items():
        for name, res in results.items():
            title = name if labels != "both" else f"{name} ({which})"
            out[title] = {**res, "name": name, "labels": which, "gold": g, "score": score(g, res["preds"])}
    return out


def render(gold, cols: dict, args) -> str:
    langs = sorted({lang for col in cols.values() for lang, _ in col["gold"]} - {"und"})
    command = " ".join(["python benchmarks/langid.py"] + sys.argv[1:])
    load = ", ".join(f"{x:.1f}" for x in args.load)
    header = (
        f"`{command}` on {_cpu_name()} ({os.cpu_count()} cores, load average {load} at the start: other jobs shared the "
        f"machine), Python {platform.python_version()}, single process. {len(gold)} held-out texts (seed {args.seed}; up to "
        f"{args.per_cell or 'all'} per language x length bucket). Accuracy in %, `und` counts as wrong. Averages are "
        "over languages with >= 20 texts in the bucket; `hi-Latn` (romanized Hindi tweets) is shown but not averaged. "
        f"Lexicon: `{_show(args.lexicon)}`, trained by `python -m training.langid.train --seed {args.seed}` on the same "
        "seed's train+dev parts. Texts with no letters (emoji, digits or links only) are left out: `und` is right "
        "for them. `snippets`: one window of whole words (8-20 characters) cut from each held-out Latin-script text "
        "longer than 60 characters, at a place chosen by the text's hash; short comments are rare in the data, so "
        "this bucket tests short Latin-script text in every language. `all` is the real texts only."
    )
    if args.labels != "source":
        header += (
            " `(corrected)`: scored on the re-read labels of `data/devsets/langid_relabel.jsonl` (every held-out text "
            "that ours or plain py3langid got wrong on the source label was read; texts with no single language, "
            "mixed or outside our languages are left out of the scoring, `n` counts the corrected labels)."
        )
    lines = [
        f"# Language-ID benchmark, held-out seed {args.seed}", "",
        header, "",
        "## Summary", "",
        "| system | labels | avg <=20 | avg 21-60 | avg >60 | avg snippets | avg all | micro all | und rate | texts/s | peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for col in cols.values():
        s, m = col["score"], col["score"]["macro"]
        lines.append(f"| {LABELS[col['name']]} | {col['labels']} | {100 * m['<=20']:.2f} | {100 * m['21-60']:.2f} | "
                     f"{100 * m['>60']:.2f} | {100 * m['snippets']:.2f} | "
                     f"{100 * m['all']:.2f} | {100 * s['micro']['all']:.2f} | {100 * s['und_rate']:.2f} | "
                     f"{col['texts_per_s']:,.0f} | {col['peak_mib']:.0f} |")
    for b in BUCKETS + ("all",):
        title = {"all": "## Per language, all lengths",
                 "snippets": "## Per language, snippets (8-20 characters cut from longer texts)"}.get(
                     b, f"## Per language, {b} characters")
        firsts: dict[str, dict] = {}  # one column per label set: n is the same for every system
        for col in cols.values():
            firsts.setdefault(col["labels"], col)
        lines += ["", title, "", "| lang | " + " | ".join(f"n ({x})" for x in firsts) + " | " + " | ".join(cols) + " |",
                  "|---|" + "---|" * (len(firsts) + len(cols))]
        for lang in langs:
            ns = [len(col["score"]["cells"][(lang, b)]) for col in firsts.values()]
            if not any(ns):
                continue
            accs = [col["score"]["cells"][(lang, b)] for col in cols.values()]
            lines.append(f"| {lang} | " + " | ".join(map(str, ns)) + " | "
                         + " | ".join(f"{100 * _mean(c):.1f}" if c else "-" for c in accs) + " |")
    return "\n".join(lines) + "\n"


def _show(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def lexicon_seed(path: Path) -> int:
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        return int(data["seed"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--seed", type=int, default=None, help="split seed (default: the lexicon's training seed)")
    ap.add_argument("--per-cell", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=5, help="timed turns for the fast systems (best is kept)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "langid.md")
    ap.add_argument("--lexicon", type=Path, default=None, help="lexicon.npz (default: the bundled one)")
    ap.add_argument("--labels", choices=("source", "corrected", "both"), default="both",
                    help="score on the source labels, the re-read ones (data/devsets/langid_relabel.jsonl) or both")
    ap.add_argument("--append", action="store_true", help="append to --out instead of replacing it")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--timing", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.lexicon is None:
        from analyzer.backends.langid import LEXICON_PATH

        args.lexicon = LEXICON_PATH
    if args.seed is None:
        args.seed = lexicon_seed(args.lexicon)
    elif args.seed != lexicon_seed(args.lexicon):
        raise SystemExit(f"--seed {args.seed} differs from the lexicon's training seed: its test texts were trained on")
    if args.worker:
        return worker(args.worker, args.seed, args.per_cell, args.lexicon)
    if args.timing:
        return timing(args.timing.split(","), args.seed, args.per_cell, args.repeats, args.lexicon)
    args.load = os.getloadavg()
    gold = sample(args.seed, args.per_cell)
    names = args.systems.split(",")
    results = {}
    for name in names:
        print(f"running {name} ...", file=sys.stderr)
        results[name] = _run(args, "--worker", name)
    fast = [n for n in names if n in FAST]
    if fast:
        print(f"timing {', '.join(fast)} in turns ...", file=sys.stderr)
        for name, rate in _run(args, "--timing", ",".join(fast)).items():
            results[name]["texts_per_s"] = rate
    report = render(gold, columns(gold, results, args.labels), args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.append and args.out.exists():
        report = args.out.read_text(encoding="utf-8") + "\n" + report
    args.out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
