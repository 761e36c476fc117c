"""The Ray engine's parts that need no Ray: prepared rows + the in-order replay make the
local stream's dedup and link decisions, also as the streamed steps (rows kept on disk,
key blocks replayed one by one); block accumulators merge to the same result in any
order; a missing ray gives the one-line install hint."""

from __future__ import annotations

import json
import pickle
import random
import sys
from types import SimpleNamespace

import pytest

from analyzer.aggregate import ResonanceAccumulator
from analyzer.cli import main
from analyzer.engines.rows import (CHUNK, REPLAY_COLUMNS, Replay, ReplayStep, Stages, _other_rows, default_dup, load_prepared,
                                   prepare, store_prepared)
from analyzer.errors import PipelineError
from analyzer.io import ReadContext, Reject, read_comments
from analyzer.io.pseudonym import Pseudonymizer
from analyzer.runner import build_pipeline
from tests.ray_corpus import write_corpus


@pytest.fixture(scope="module")
def items(tmp_path_factory):
    paths = write_corpus(tmp_path_factory.mktemp("corpus"), n=6_000, files=3)
    ctx = ReadContext(pseudonymize=Pseudonymizer("rows-test-key"))
    return list(read_comments(paths, ctx))


def _local_decisions(items, pipeline=None) -> tuple[list, list]:
    pipeline = pipeline or build_pipeline()
    normalize, dedup, link = pipeline.stages[:3]
    comments = normalize([c for c in items if not isinstance(c, Reject)])
    return dedup.predict(comments), link.predict(comments)


def test_replay_makes_the_local_streams_decisions(items):
    want_dup, want_link = _local_decisions(items)
    stages = Stages(build_pipeline())
    published, rejects, rows = {}, [], []
    replay = Replay(stages, rejects.append, lambda chunk, decided: published.update({chunk: decided}))
    for start in range(0, len(items), CHUNK):  # one "file", prepared in chunks as a read task does
        table = prepare(0, start, items[start:start + CHUNK], stages)
        chunk_rows = table.to_pylist()
        replay.feed(chunk_rows)
        rows.extend(r for r in chunk_rows if r["_kind"] == "c")
    replay.close()
    got_dup, got_link = [], []
    for row in rows:
        decided = published.get((0, row["_seq"] // CHUNK), {}).get(row["_seq"], (None, None))
        got_dup.append(decided[0] or default_dup(row["_noise"]))
        got_link.append(decided[1] or tuple(json.loads(row["_link"])))  # own link, from prepare
    assert len(rejects) == sum(1 for c in items if not not isinstance(c, Reject)) > 0
    assert sum(1 for d in got_dup if d[0]) > 100 and sum(1 for x in got_link if x[2] == "parent") > 100
    assert got_dup == want_dup
    assert [tuple(x[:3]) for x in got_link] == [tuple(x[:3]) for x in want_link]


def test_streamed_steps_make_the_local_streams_decisions(items, tmp_path):
    """Read (rows kept on disk, key columns handed on) -> replay block by block -> the rows
    each block covers read back: every comment once, with the local stream's decisions."""
    want_dup, want_link = _local_decisions(items)
    stages = Stages(build_pipeline())
    keys = [store_prepared(tmp_path, prepare(0, start, items[start:start + CHUNK], stages))
            for start in range(0, len(items), CHUNK)]
    assert all(set(k.column_names) == set(REPLAY_COLUMNS) for k in keys)
    step, got_dup, got_link, rejects = ReplayStep(stages), [], [], []
    for block in [keys[0].slice(0, 1000), keys[0].slice(1000), *keys[1:]]:  # a chunk split over two blocks
        replayed = step(block)
        rejects += replayed.rejects
        for index, first, last in replayed.ranges:
            for _, part in load_prepared(tmp_path, index, first, last):
                for seq, noise, link in zip(*(part[n].to_pylist() for n in ("_seq", "_noise", "_link"))):
                    decided = replayed.decisions.get((index, seq), (None, None))
                    got_dup.append(decided[0] or default_dup(noise))
                    got_link.append(decided[1] or tuple(json.loads(link)))
    assert len(rejects) == sum(1 for c in items if isinstance(c, Reject)) > 0
    assert got_dup == want_dup
    assert [tuple(x[:3]) for x in got_link] == [tuple(x[:3]) for x in want_link]
    assert replayed.summaries["dedup"]["seen"] == len(want_dup) and replayed.cpu_seconds > 0


def test_a_restarted_replay_refuses_to_go_on(items, tmp_path):
    """A fresh replay step given a block from past the run's first chunk (its process was
    restarted: empty windows) stops the run rather than decide differently."""
    stages = Stages(build_pipeline())
    later = store_prepared(tmp_path, prepare(0, CHUNK, items[CHUNK:2 * CHUNK], stages))
    with pytest.raises(PipelineError, match="restarted"):
        ReplayStep(stages)(later)


def test_a_restarted_replay_refuses_its_first_files_trailer():
    """Restarted after the first chunk of a small first file, the replay would be handed
    that file's trailer next: it refuses it too (only an empty file's trailer comes first)."""
    stages = Stages(build_pipeline())
    trailer = {"path": "a.jsonl", "format": "jsonl"}
    with pytest.raises(PipelineError, match="restarted"):
        ReplayStep(stages)(_other_rows(0, [(10, "f", trailer)]))
    assert ReplayStep(stages)(_other_rows(0, [(0, "f", trailer)])).files[0].read == 0


def test_an_error_an_actor_raised_reaches_the_user_as_raised():
    """Ray Data keeps only the text of what an actor's call raised: the AnalyzerError named
    there is rebuilt (one line), anything else is left to the caller."""
    from analyzer.engines.ray import _error_in_text

    text = "ray::MapWorker.submit()\n  File \"x.py\", line 1\nanalyzer.errors.PipelineError: run again.\n\nmore"
    found = _error_in_text(text)
    assert isinstance(found, PipelineError) and str(found) == "run again."
    assert _error_in_text("ValueError: no") is None and _error_in_text("analyzer.errors.Nope: x") is None


def test_replay_refuses_rows_out_of_input_order():
    stages = SimpleNamespace(dedup=SimpleNamespace(decide=None), link=SimpleNamespace(resolve=None))
    replay = Replay(stages, print, print)
    trailer = {"path": "a.jsonl", "format": "jsonl"}
    replay.feed_table(_other_rows(0, [(2 * CHUNK, "f", trailer)]))
    with pytest.raises(PipelineError, match="out of input order"):
        replay.feed_table(_other_rows(0, [(CHUNK, "f", trailer)]))
    replay.feed_table(_other_rows(1, [(0, "f", trailer)]))  # the next file starts again at 0
    assert [f.path for f in replay.files] == ["a.jsonl", "a.jsonl"]


def test_block_accumulators_merge_the_same_in_any_order(items):
    comments = list(build_pipeline().pipe(c for c in items if not isinstance(c, Reject)))
    blocks = [comments[i:i + 700] for i in range(0, len(comments), 700)]
    whole = ResonanceAccumulator().update(comments).result().to_rows()
    for seed in (1, 2):
        order = list(range(len(blocks)))
        random.Random(seed).shuffle(order)
        merged = ResonanceAccumulator()
        for i in order:
            merged.merge(ResonanceAccumulator().update(blocks[i]))
        assert merged.result().to_rows() == whole


def test_missing_ray_says_how_to_install(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    code = main(["run", "data/samples", "-o", str(tmp_path / "out"), "--engine", "ray", "-q"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1
    assert "pip install 'resonance-analyzer[ray]'" in err


def test_engine_options_are_checked(tmp_path):
    from analyzer.config import config_from_dict
    from analyzer.errors import ConfigError

    with pytest.raises(ConfigError, match=r"'engine' parameter of \[run\] must be one of local, ray"):
        config_from_dict({"run": {"engine": "spark"}})
    with pytest.raises(ConfigError, match="num_workers"):
        config_from_dict({"run": {"engine": "ray", "num_workers": -1}})
    code = main(["run", "data/samples", "-o", str(tmp_path / "out"), "--engine", "ray", "--limit", "5", "-q"])
    assert code == 1


def test_read_and_replay_actors_build_no_model_stages():
    from analyzer.config import Config
    from analyzer.engines.ray import _head_builder

    config = Config()
    pipeline = build_pipeline(config)
    head = _head_builder(config, pipeline)()
    assert head.names == pipeline.names[:pipeline.names.index("link") + 1] == ["normalize", "dedup", "link"]
    assert head.batch_size == pipeline.batch_size


def test_the_drivers_stages_pickle_for_the_actors_and_decide_as_built(items):
    """The Ray engine puts the driver's stages in Ray's object store (``engines.ray._shared``);
    with the C kernel's dedup and link windows (capsules) they did not pickle, and every actor
    built its own from the model files. A copy decides as a fresh stage does; a stage that has
    seen comments refuses to pickle rather than lose its windows."""
    pipeline = build_pipeline()
    copy = pickle.loads(pickle.dumps(pipeline))
    assert copy.names == pipeline.names
    assert _local_decisions(items, copy) == _local_decisions(items)
    dedup, link = copy.stages[1:3]
    for stage, window in ((dedup, dedup._windows), (link, link._window)):
        if window is not None:  # the C kernel is built
            with pytest.raises(TypeError, match="has seen comments"):
                pickle.dumps(stage)


def test_a_stage_order_the_engine_cannot_run_fails_before_ray_starts(tmp_path):
    code = main(["run", "data/samples", "-o", str(tmp_path / "out"), "--engine", "ray", "-q",
                 "--config", str(_config(tmp_path, '[pipeline]\nstages = ["normalize", "link", "dedup"]\n'))])
    assert code == 1 and not (tmp_path / "out").exists()


def _config(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path
