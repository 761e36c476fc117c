"""The local engine on several processes (``[run] workers``, docs/speed.md): the same outputs as
one process, the same rejects and one-line errors, summaries merged back, and a clean failure
(no output folder) when a worker fails or dies."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from analyzer import defaults
from analyzer.config import Config, config_from_dict
from analyzer.engines.workers import remote_stages, resolve_workers
from analyzer.errors import ConfigError, PipelineError, RecordError
from analyzer.manifest import load_manifest
from analyzer.runner import annotate, run
from analyzer.stages.base import stateless_tail
from analyzer.stages.build import stage_classes
from tests.golden_outputs import GOLDEN, ROOT, folder_digests
from tests.ray_corpus import write_corpus

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the tests patch stages in forked workers")

TWO = {"privacy": {"author_key": "golden-outputs"}, "run": {"workers": 2}}
QUICK = {"aggregate": {"bootstrap": 0}}  # no resampling: the tests compare, they do not read intervals


@pytest.mark.parametrize("prepare_from", [3, 2])
def test_two_workers_give_the_recorded_sample_digests(tmp_path, monkeypatch, prepare_from):
    from analyzer.engines import workers as engine_workers

    monkeypatch.setattr(engine_workers, "PREPARE_MIN_WORKERS", prepare_from)
    monkeypatch.setattr(engine_workers, "available_cpus", lambda: 8)  # a CPU per worker, whatever runs the tests
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))["samples"]
    out = tmp_path / "out"
    with contextlib.chdir(ROOT):  # rejects name their files relative to the working folder
        run(["data/samples"], out_dir=out, config=TWO)
    assert folder_digests(out) == expected
    manifest = load_manifest(out)
    assert manifest.timings["workers"] == 2
    assert set(manifest.timings["per_stage"]) == set(defaults.STAGES)
    assert manifest.stage_summaries["region"], "the workers' region counts are merged into the manifest"


@pytest.mark.parametrize("prepare_from", [3, 2])  # 2: the workers also prepare dedup/link's batches
def test_a_generated_corpus_gives_the_same_outputs_and_manifest_counts(tmp_path, monkeypatch, prepare_from):
    from analyzer.engines import workers as engine_workers

    monkeypatch.setattr(engine_workers, "PREPARE_MIN_WORKERS", prepare_from)
    monkeypatch.setattr(engine_workers, "available_cpus", lambda: 8)  # a CPU per worker, whatever runs the tests
    paths = write_corpus(tmp_path / "corpus", n=1200, files=2)  # a malformed line in each file
    outs = {}
    for workers in (1, 2):
        outs[workers] = tmp_path / f"w{workers}"
        run(paths, out_dir=outs[workers], config={**TWO, "run": {"workers": workers, "batch_size": 64}, **QUICK})
    assert folder_digests(outs[1]) == folder_digests(outs[2])
    one, two = load_manifest(outs[1]), load_manifest(outs[2])
    assert one.counts == two.counts and one.counts["rejected"] > 0
    assert one.stage_summaries == two.stage_summaries
    assert one.stages == two.stages  # the main process describes the stages it handed to the workers
    assert one.timings["workers"] == 1 and two.timings["workers"] == 2


def test_annotate_with_workers_writes_the_same_rows(tmp_path):
    paths = write_corpus(tmp_path / "corpus", n=600, files=1)
    for workers in (1, 3):
        annotate(paths[0], tmp_path / f"w{workers}.jsonl", config={"run": {"workers": workers, "batch_size": 50}})
    assert (tmp_path / "w1.jsonl").read_bytes() == (tmp_path / "w3.jsonl").read_bytes()
    assert (tmp_path / "w1.jsonl.rejects.jsonl").read_bytes() == (tmp_path / "w3.jsonl.rejects.jsonl").read_bytes()


def test_a_bad_record_stops_the_run_with_the_same_line(tmp_path, write):
    source = write("in.jsonl", '{"id": "a", "text": "Hidden Love is great", "drama": "Hidden Love"}\nnot json\n')
    errors = {}
    for workers in (1, 2):
        with pytest.raises(RecordError) as caught:
            run([str(source)], tmp_path / f"w{workers}", config={"input": {"on_error": "raise"}, "run": {"workers": workers}, **QUICK})
        errors[workers] = str(caught.value)
        assert not (tmp_path / f"w{workers}").exists()
    assert errors[1] == errors[2] and "in.jsonl:2" in errors[2]


def _failing_mentions(monkeypatch, how: str) -> None:
    """Make the mentions stage (run on the workers) fail on the text "BOOM"."""
    from analyzer.stages.mentions import MentionStage

    predict, parent = MentionStage.predict, os.getpid()

    def failing(self, batch):
        if any("BOOM" in c.text for c in batch) and os.getpid() != parent:
            if how == "crash":
                os._exit(3)
            raise RecordError("the mentions stage cannot read this comment", batch[0].source)
        return predict(self, batch)

    monkeypatch.setattr(MentionStage, "predict", failing)


@pytest.mark.parametrize("how", ["error", "crash"])
def test_a_failing_worker_fails_the_run_cleanly(tmp_path, write, monkeypatch, how):
    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("the patched stage reaches the workers only when they are forked")
    lines = [json.dumps({"id": f"c{i}", "text": "BOOM" if i == 70 else f"Hidden Love episode {i} was great",
                         "drama": "Hidden Love"}) for i in range(100)]
    source = write("in.jsonl", "\n".join(lines) + "\n")
    _failing_mentions(monkeypatch, how)
    import analyzer.engines.workers as workers

    # Another test may have imported torch into this process, which makes the pool spawn workers
    # (a spawned worker builds its own stages and so never sees the patched stage): fork here.
    monkeypatch.setattr(workers, "uses_torch", lambda: False)
    out = tmp_path / "out"
    expected = (RecordError, "in.jsonl:65: the mentions stage") if how == "error" else (PipelineError, "worker process stopped")
    with pytest.raises(expected[0]) as caught:
        run([str(source)], out, config={"run": {"workers": 2, "batch_size": 16}, **QUICK})
    assert expected[1] in str(caught.value) and "\n" not in str(caught.value)
    assert not out.exists() and not list(tmp_path.glob(".out.tmp*"))


def test_with_torch_loaded_auto_is_one_process_and_a_number_spawns_workers_that_build_their_own(tmp_path, monkeypatch):
    import analyzer.engines.workers as workers
    from analyzer.runner import build_pipeline

    monkeypatch.setattr(workers, "uses_torch", lambda: True)
    pool = workers.WorkerPool(Config(), remote_stages(Config()), 2)
    assert pool.start(build_pipeline(Config())) is False and pool.workers == 1
    paths = write_corpus(tmp_path / "corpus", n=300, files=1)
    for n in (1, 2):  # 2: spawned workers, each building its stages from the config
        annotate(paths[0], tmp_path / f"w{n}.jsonl", config={"run": {"workers": n, "batch_size": 100}})
    assert (tmp_path / "w1.jsonl").read_bytes() == (tmp_path / "w2.jsonl").read_bytes()


def test_cli_workers_option_and_one_line_errors(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-m", "analyzer", "run", "data/samples/comments_mixed.jsonl", "-q"]
    done = subprocess.run([*base, "-o", str(tmp_path / "out"), "--workers", "2", "--profile"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "stages on 2 worker processes" in done.stderr
    assert load_manifest(tmp_path / "out").config["run"]["workers"] == 2
    for value in ("0", "many"):
        bad = subprocess.run([*base, "-o", str(tmp_path / "bad"), "--workers", value], cwd=ROOT, env=env,
                             capture_output=True, text=True)
        assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "workers" in bad.stderr, bad.stderr


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                if entry.isdigit() and int(handle.read().rsplit(b")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the worker processes in /proc")
def test_ctrl_c_stops_the_workers_and_leaves_no_output(tmp_path):
    """The records come on stdin, which stays open until the run has exited: the run cannot reach its end
    phase, whose forked children a slow scan of /proc counted as the two workers under heavy load (one
    child gone but not yet reaped, the next one forked) and after which Ctrl-C can land on a finished run."""
    paths = write_corpus(tmp_path / "corpus", n=8000, files=1)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "analyzer", "run", "-", "-o", str(out), "-q", "--workers", "2",
                             "--batch-size", "50"], cwd=ROOT, env=env, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    threading.Thread(target=_feed, args=(proc.stdin, Path(paths[0]).read_bytes()), daemon=True).start()
    try:
        give_up = time.monotonic() + 300  # the run waits on stdin: bound the wait, should no worker start
        while proc.poll() is None and len(_children(proc.pid)) < 2 and time.monotonic() < give_up:
            time.sleep(0.05)  # until both workers run
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGINT)
        stderr = proc.stderr.read().decode()
        proc.wait()
    finally:
        if proc.poll() is None:  # a failed check above: no run left behind
            proc.kill()
            proc.wait()
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
    assert proc.returncode == 130 and stderr.strip() == "analyzer: interrupted", stderr
    assert not out.exists() and not list(tmp_path.glob(".out.tmp*"))
    assert len(workers) == 2 and not [pid for pid in workers if os.path.exists(f"/proc/{pid}")], "the workers were stopped"


def _feed(stdin, data: bytes) -> None:
    """Write ``data`` to the run's stdin and leave it open (no end of input); the run may exit first."""
    try:
        stdin.write(data)
        stdin.flush()
    except (BrokenPipeError, ValueError):
        pass


def test_workers_config_values():
    assert Config().run.workers == defaults.WORKERS == "auto"
    assert config_from_dict({"run": {"workers": 3}}).run.workers == 3
    assert Config().with_overrides(["run.workers=auto"]).run.workers == "auto"
    for bad in (0, -1, "many", True, 1.5):
        with pytest.raises(ConfigError, match="workers"):
            config_from_dict({"run": {"workers": bad}})


def test_auto_workers(monkeypatch):
    import analyzer.engines.workers as workers

    monkeypatch.setattr(workers, "available_cpus", lambda: 16)
    auto = Config()
    assert resolve_workers(auto) == defaults.MAX_AUTO_WORKERS
    assert resolve_workers(auto, records=defaults.AUTO_WORKERS_MIN_RECORDS) == defaults.MAX_AUTO_WORKERS
    assert resolve_workers(auto, records=defaults.AUTO_WORKERS_MIN_RECORDS - 1) == 1
    assert resolve_workers(config_from_dict({"models": {"device": "cuda"}})) == 1
    assert resolve_workers(config_from_dict({"run": {"workers": 5}}), records=10) == 5
    monkeypatch.setattr(workers, "available_cpus", lambda: 2)
    assert resolve_workers(auto) == 2


def test_the_stateless_stages_that_end_the_pipeline_run_on_workers():
    classes = stage_classes()
    assert remote_stages(Config()) == ["langid", "region", "sentiment", "mentions", "themes"]
    assert not classes["dedup"].stateless and not classes["link"].stateless  # in input order, in one process
    assert stateless_tail([classes[n] for n in ("normalize", "langid", "themes")]) == 0
    assert stateless_tail([classes[n] for n in ("langid", "dedup")]) == 2


def test_docs_show_the_workers_default():
    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    assert f'workers = "{defaults.WORKERS}"' in text and str(defaults.MAX_AUTO_WORKERS) in text
    assert f"{defaults.AUTO_WORKERS_MIN_RECORDS:,}" in text


def test_speed_doc_table_matches_the_results_file():
    import importlib.util

    spec = importlib.util.spec_from_file_location("workers_speed", ROOT / "benchmarks" / "workers_speed.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = json.loads((ROOT / "benchmarks" / "results" / "workers_speed.json").read_text(encoding="utf-8"))
    doc = bench.DOC.read_text(encoding="utf-8")
    assert bench.rewrite_doc(doc, bench.doc_table(result)) == doc, "run: python benchmarks/workers_speed.py --write-doc ..."
    for row in result["rows"]:  # every setting beside one worker, measured in the same run
        assert "1" in row["runs"] and all(r["outputs_identical"] for r in row["runs"].values())


def test_the_main_process_lets_the_workers_models_go_and_keeps_what_the_manifest_reads():
    from analyzer.engines.workers import WorkerPool
    from analyzer.pipeline import Pipeline
    from analyzer.schema import Comment
    from analyzer.stages.base import HandedOff

    config = config_from_dict({"run": {"workers": 2, "batch_size": 4}})
    pipeline = Pipeline.from_config(config)
    described, names = pipeline.describe(), pipeline.names
    comments = [Comment(id=f"c{i}", text=f"episode {i} of this drama was wonderful", region="PH") for i in range(20)]
    alone = [c.sentiment for batch in Pipeline.from_config(config).batches(comments) for c in batch]
    with WorkerPool(config, remote_stages(config), 2) as pool:
        got = [c.sentiment for batch in pipeline.batches(comments, pool) for c in batch]
    assert got == alone
    assert [isinstance(s, HandedOff) for s in pipeline.stages] == [False] * 3 + [True] * 5
    assert pipeline.describe() == described and pipeline.names == names
    assert pipeline.summaries()["region"], "the first batch's counts (made here) and the workers' are kept"
    with pytest.raises(PipelineError, match="build a new Pipeline"):
        list(pipeline.batches(comments[:4]))


def test_ctrl_c_between_forking_the_workers_and_starting_the_pool_thread_stops_them(monkeypatch):
    """The window `test_ctrl_c_stops_the_workers...` hits only under load: shutdown() then joined a thread
    never started (RuntimeError, a traceback instead of "analyzer: interrupted") and left the workers."""
    import multiprocessing
    from concurrent.futures import process

    from analyzer.engines.workers import WorkerPool
    from analyzer.pipeline import Pipeline

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(process._ExecutorManagerThread, "start", interrupted)
    config = config_from_dict({"run": {"workers": 2}})
    pool = WorkerPool(config, remote_stages(config), 2)
    with pytest.raises(KeyboardInterrupt):
        with pool:
            pool.start(Pipeline.from_config(config))
    assert not multiprocessing.active_children()


def test_one_batch_part_of_several_batches_equals_a_part_per_batch():
    """What a worker returns for GROUP consecutive batches: one table cut back into the same
    batches, one tally and one accumulator with the same result as a part per batch merged in order."""
    import pickle

    from analyzer.aggregate import ResonanceAccumulator
    from analyzer.runner import BatchOutputs, Tally
    from tests.test_aggregate import NO_SHRINK, mk

    comments = [mk(f"u{i % 23}", ("positive", "neutral", "negative")[i % 3], drama=f"D{i % 3}", region=("VN", "TH")[i % 2],
                   themes=("story",) if i % 4 else ("acting",), likes=i % 5, day=i % 9, noise=i % 17 == 0)
                for i in range(300)]
    batches = [comments[i:i + 64] for i in range(0, len(comments), 64)]
    outputs = BatchOutputs(NO_SHRINK)
    group = pickle.loads(pickle.dumps(outputs(*batches)))
    parts = [outputs(batch) for batch in batches]
    assert [t.to_pylist() for t in group.tables()] == [p.table.to_pylist() for p in parts]
    assert [t.num_rows for t in group.tables()] == [64, 64, 64, 64, 44]
    tally = Tally()
    merged = ResonanceAccumulator(NO_SHRINK)
    for part in parts:
        tally.merge(part.tally)
        merged.merge(part.accumulator)
    assert group.tally == tally.counts
    assert ResonanceAccumulator(NO_SHRINK).merge(group.accumulator).result().to_rows() == merged.result().to_rows()
    assert list(outputs(batches[0]).tables())[0].num_rows == 64  # one batch: the table as it is


def test_a_batch_sent_to_the_workers_unpickles_as_the_same_comments():
    """``ByColumns`` (a batch pickled one field at a time) loads as a plain list of the same
    Comments, field by field and type by type, empty batches and shared objects included."""
    import pickle
    from datetime import datetime, timezone

    from analyzer.schema import FIELD_NAMES, ByColumns, Comment
    from tests.test_aggregate import mk

    shared = {"k": [1, "x"]}
    comments = [mk(f"u{i % 3}", ("positive", None)[i % 2], themes=("story",) * (i % 2), pol={"story": "negative"},
                   likes=i, day=i) for i in range(5)]
    comments += [Comment(id="r1", text="hé @x", extra=shared, created_at=datetime(2024, 1, 2, tzinfo=timezone.utc),
                         lang_mixed=("en", "fr"), sentiment_scores=(0.1, 0.2, 0.7)),
                 Comment(id="r2", text="两个", extra=shared, video_time=1.5)]
    for batch in (comments, comments[:1], []):
        again = pickle.loads(pickle.dumps([ByColumns(batch)], protocol=5))[0]
        assert type(again) is list and again == batch
        for a, b in zip(again, batch):
            assert [type(getattr(a, f)) for f in FIELD_NAMES] == [type(getattr(b, f)) for f in FIELD_NAMES]
    loaded = pickle.loads(pickle.dumps(ByColumns(comments)))
    assert loaded[-1].extra is loaded[-2].extra  # one object before, one after (as a pickled list keeps it)
