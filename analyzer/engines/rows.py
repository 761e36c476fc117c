"""The work of the Ray engine that needs no Ray: reading a file into prepared row
tables (the comment rows kept on disk, the small key columns handed on), replaying the
in-order decisions block by block, annotating a block. Each step calls the same
readers, stages and accumulator as the local loop.

A prepared table holds the ``Comment`` columns (``schema.ARROW_SCHEMA``) plus:

- ``_file``, ``_seq``: input file number and the record's position in it (input order);
- ``_kind``: ``c`` comment, ``r`` reject (``_payload`` = the reject as JSON),
  ``f`` file trailer (``_payload`` = path, format and the columns first left unread in it
  (``ReadContext.unread``); one per file, last);
- ``_id_key``, ``_author_key``, ``_text_key``, ``_signature``, ``_noise``: ``DedupStage.keys``;
- ``_link``: ``DramaLinkStage.link_own`` as JSON.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import PipelineError
from ..io import FileCounts, ReadContext, Reject
from ..io.readers import read_file_items
from ..io.sources import display_path
from ..pipeline import Pipeline
from ..schema import ARROW_SCHEMA, FIELD_NAMES, Comment, from_arrow, to_arrow
from ..stages.base import summaries
from ..stages.dedup import DupKeys
from ..stages.link import scoped

CHUNK = 4096  # records per prepared block (and per decisions object)
RESTARTED = "The ray engine's replay restarted mid-run and lost its dedup state; run again (a worker process died)."

EXTRA_FIELDS = [
    ("_file", pa.int32()), ("_seq", pa.int64()), ("_kind", pa.string()), ("_payload", pa.string()),
    ("_id_key", pa.uint64()), ("_author_key", pa.uint64()), ("_text_key", pa.uint64()),
    ("_signature", pa.binary()), ("_noise", pa.string()), ("_link", pa.string()),
]
PREPARED_SCHEMA = pa.schema(list(ARROW_SCHEMA) + EXTRA_FIELDS)
REPLAY_COLUMNS = ["_file", "_seq", "_kind", "_payload", "id", "reply_to", "platform", "_id_key", "_author_key",
                  "_text_key", "_signature", "_noise", "_link"]
# What a read task keeps on disk for the annotation (the comment rows): everything but the keys.
STORED_COLUMNS = list(FIELD_NAMES) + ["_file", "_seq", "_noise", "_link"]


class Stages:
    """The pipeline cut where the engine needs it: stateless stages before dedup, the two
    in-order stages (dedup, link), and the rest (per comment, run in parallel)."""

    def __init__(self, pipeline: Pipeline) -> None:
        names = pipeline.names
        if "dedup" not in names or names[names.index("dedup") + 1:][:1] != ["link"]:
            raise PipelineError("The ray engine needs the stages dedup then link in this order; "
                                f"got {', '.join(names)}. Use --engine local for custom stage orders.")
        i = names.index("dedup")
        self.before, self.dedup, self.link = pipeline.stages[:i], pipeline.stages[i], pipeline.stages[i + 1]
        self.rest = pipeline.stages[i + 2:]
        self.batch_size = pipeline.batch_size


# --- 1. read + prepare (parallel, one task per file; rows kept on disk, keys handed on) --
def read_file(index: int, path: str, ctx: ReadContext, stages: Stages) -> Iterator[pa.Table]:
    """Prepared tables of one input file, ``CHUNK`` records at a time, then its trailer."""
    counts = FileCounts(display_path(path), "unknown")
    noted = set(ctx.unread)
    items = read_file_items(path, ctx, counts)  # the local reader: same records, same file rejects
    seq = 0
    while chunk := list(itertools.islice(items, CHUNK)):
        yield prepare(index, seq, chunk, stages)
        seq += len(chunk)
    trailer = {"path": counts.path, "format": counts.format,
               "unread": {k: t for k, t in ctx.unread.items() if k not in noted}}
    yield _other_rows(index, [(seq, "f", trailer)])


def prepare(index: int, seq: int, items: Sequence[Comment | Reject], stages: Stages) -> pa.Table:
    """Comments (normalized, with dedup keys and own drama link) then rejects, each in order."""
    positions = [seq + i for i, x in enumerate(items) if not isinstance(x, Reject)]
    comments, keys = [], []
    accepted = [x for x in items if not isinstance(x, Reject)]
    for start in range(0, len(accepted), stages.batch_size):  # the local loop's batches (MinHash in cache)
        batch = accepted[start:start + stages.batch_size]
        for stage in stages.before:
            batch = stage(batch)
        comments.extend(batch)
        keys.extend(stages.dedup.keys_batch(batch))
    table = to_arrow(comments)
    columns = {
        "_file": pa.array([index] * len(comments), pa.int32()), "_seq": pa.array(positions, pa.int64()),
        "_kind": pa.array(["c"] * len(comments), pa.string()), "_payload": pa.nulls(len(comments), pa.string()),
        "_id_key": pa.array([k.id_key for k in keys], pa.uint64()),
        "_author_key": pa.array([k.author_key for k in keys], pa.uint64()),
        "_text_key": pa.array([k.text_key for k in keys], pa.uint64()),
        "_signature": pa.array([k.signature for k in keys], pa.binary()),
        "_noise": pa.array([k.noise for k in keys], pa.string()),
        "_link": pa.array([json.dumps(stages.link.link_own(c), ensure_ascii=False) for c in comments], pa.string()),
    }
    for name, column in columns.items():
        table = table.append_column(name, column)
    rejects = [(seq + i, "r", x.to_dict()) for i, x in enumerate(items) if isinstance(x, Reject)]
    return pa.concat_tables([table, _other_rows(index, rejects)]) if rejects else table


def _other_rows(index: int, rows: list[tuple[int, str, dict]]) -> pa.Table:
    data = {name: pa.nulls(len(rows), field.type) for name, field in zip(PREPARED_SCHEMA.names, PREPARED_SCHEMA)}
    data["_file"] = pa.array([index] * len(rows), pa.int32())
    data["_seq"] = pa.array([seq for seq, _, _ in rows], pa.int64())
    data["_kind"] = pa.array([kind for _, kind, _ in rows])
    data["_payload"] = pa.array([json.dumps(p, ensure_ascii=False) for _, _, p in rows])
    return pa.table(data, schema=PREPARED_SCHEMA)


def prepared_path(folder: str | os.PathLike, index: int, chunk: int) -> Path:
    """Where a read task keeps the comment rows of one chunk of input file ``index``."""
    return Path(folder) / f"input={index:05d}" / f"chunk-{chunk:09d}.arrow"


def store_prepared(folder: str | os.PathLike, table: pa.Table) -> pa.Table:
    """Keep the comment rows of a prepared table (one chunk of one file) in ``folder`` as an
    Arrow file and return the ``REPLAY_COLUMNS`` of all its rows: the only read output that
    travels (0.9 of the 3.5 MB of a 4,096-row chunk of generated comments). A retried task
    writes the same file again."""
    comments = comments_only(table)
    if comments.num_rows:
        index, seq = comments["_file"][0].as_py(), comments["_seq"][0].as_py()
        target = prepared_path(folder, index, seq // CHUNK)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        kept = comments.select(STORED_COLUMNS)
        options = pa.ipc.IpcWriteOptions(compression="lz4")
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, kept.schema, options=options) as writer:
            writer.write_table(kept)
        os.replace(tmp, target)
    return table.select(REPLAY_COLUMNS)


def load_prepared(folder: str | os.PathLike, index: int, first: int, last: int) -> Iterator[tuple[Path, pa.Table]]:
    """The kept comment rows of file ``index`` with ``first <= _seq <= last``, chunk by chunk."""
    for chunk in range(first // CHUNK, last // CHUNK + 1):
        path = prepared_path(folder, index, chunk)
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
        seq = table["_seq"]
        part = table.filter(pc.and_(pc.greater_equal(seq, first), pc.less_equal(seq, last)))
        if part.num_rows:
            yield path, part


# --- 2. replay (one process, in input order) -----------------------------------------------
class Replay:
    """Feeds the prepared rows, in input order, to the one ``DedupStage.decide`` and
    ``DramaLinkStage.resolve``: the decisions of a single stream, windows included.
    Rejects go to ``on_reject``; per-file counts to ``files``; a decision that differs
    from the default is kept per chunk and handed to ``publish((file, chunk), {seq: ...})``."""

    def __init__(self, stages: Stages, on_reject: Callable[[Reject], None],
                 publish: Callable[[tuple[int, int], dict], None]) -> None:
        self.stages, self.on_reject, self.publish = stages, on_reject, publish
        self.files: list[FileCounts] = []
        self.unread: dict[str, str] = {}  # the files' unread columns, in input order as the local read notes them
        self._counts: Counter = Counter()
        self._chunk: tuple[int, int] | None = None
        self._decisions: dict[int, tuple] = {}
        self._links: dict[str, tuple] = {}  # parsed ``_link`` JSON, shared by equal strings
        self._last = -1

    def feed_table(self, table: pa.Table) -> None:
        """The rows of a prepared table (``REPLAY_COLUMNS`` at least), in input order,
        read column by column (no per-row dicts)."""
        self._check_order(table)
        self._feed(*(table[name].to_pylist() for name in REPLAY_COLUMNS))

    def feed(self, rows: list[dict[str, Any]]) -> None:
        """The same, for rows as dicts."""
        self._feed(*([row[name] for row in rows] for name in REPLAY_COLUMNS))

    def _feed(self, files, seqs, kinds, payloads, ids, reply_tos, platforms, id_keys, author_keys, text_keys,
              signatures, noises, links) -> None:
        """Rejects and file trailers in order; the comments' dedup and link decisions each in one
        batch call (``decide_batch``, ``resolve_many``: the same in-order decisions as one call per
        comment, the two stages' states being separate)."""
        at = []  # the comment rows' indices
        for i, kind in enumerate(kinds):
            if kind == "c":
                self._counts["accepted"] += 1
                at.append(i)
            else:
                self._other(kind, payloads[i])
        if not at:
            return
        keys = [_dup_keys((ids[i], id_keys[i], noises[i], author_keys[i], text_keys[i], signatures[i])) for i in at]
        dups = self.stages.dedup.decide_batch((), keys)
        owns = [self._own(links[i]) for i in at]
        resolved = self.stages.link.resolve_many([scoped(ids[i], platforms[i], files[i]) for i in at],
                                                 [scoped(reply_tos[i], platforms[i], files[i]) for i in at], owns)
        for i, dup, own, found in zip(at, dups, owns, resolved):
            self._decide(files[i], seqs[i], noises[i], dup, own, found)

    def _decide(self, file: int, seq: int, noise: str | None, dup: tuple, own: tuple, resolved: tuple) -> None:
        """Keep a comment's decisions that differ from the default, per chunk."""
        if self._chunk is None or file != self._chunk[0] or seq // CHUNK != self._chunk[1]:
            self.close()
            self._chunk = (file, seq // CHUNK)
        default = dup == (None, None, 1, noise)  # default_dup
        if not default or resolved is not own:
            self._decisions[seq] = (None if default else dup, None if resolved is own else resolved)

    def _own(self, link: str) -> tuple:
        own = self._links.get(link)
        if own is None:
            if len(self._links) >= 4096:
                self._links.clear()
            own = self._links[link] = tuple(json.loads(link))
        return own

    def _other(self, kind: str, payload: str) -> None:
        if kind == "r":
            self._counts["rejected"] += 1
            self.on_reject(Reject(**json.loads(payload)))
            return
        info = json.loads(payload)
        for key, target in info.get("unread", {}).items():
            self.unread.setdefault(key, target)
        self.files.append(FileCounts(info["path"], info["format"], self._counts["accepted"] + self._counts["rejected"],
                                     self._counts["accepted"], self._counts["rejected"]))
        self._counts.clear()

    def _check_order(self, table: pa.Table) -> None:
        """The replay needs input order; Ray Data keeps it with ``preserve_order``."""
        files = table["_file"].to_numpy(zero_copy_only=False).astype(np.int64)
        here = (files << 40) + table["_seq"].to_numpy(zero_copy_only=False).astype(np.int64) // CHUNK
        if len(here) and (here[0] < self._last or bool(np.any(np.diff(here) < 0))):
            at = int(np.argmax(np.diff(np.concatenate(([self._last], here))) < 0))
            raise PipelineError(f"Rows arrived out of input order (file {files[at]}, row {table['_seq'][at]}); "
                                "the ray engine needs DataContext.execution_options.preserve_order.")
        self._last = int(here[-1]) if len(here) else self._last

    def close(self) -> None:
        """Hand over the last chunk's decisions (call once more after the last row)."""
        if self._chunk is not None and self._decisions:
            self.publish(self._chunk, self._decisions)
        self._decisions = {}


@dataclass
class Replayed:
    """What the replay of one block of key rows hands the annotation (and then the driver)."""

    ranges: list[tuple[int, int, int]]  # (file, first seq, last seq) of the block's comments
    decisions: dict[tuple[int, int], tuple]  # (file, seq) -> (dup, link), where not the default
    rejects: list[Reject] = field(default_factory=list)  # in input order
    files: list[FileCounts] = field(default_factory=list)  # the files whose trailer was in the block
    summaries: dict[str, dict] = field(default_factory=dict)  # dedup and link so far
    cpu_seconds: float = 0.0  # the replay's CPU time so far
    unread: dict[str, str] = field(default_factory=dict)  # the run's unread columns so far (ReadContext.unread)


class ReplayStep:
    """The in-order replay as a streaming step: one block of key rows (in input order) in,
    one ``Replayed`` out. Holds the only ``DedupStage``/``DramaLinkStage`` state of the run."""

    def __init__(self, stages: Stages) -> None:
        self.stages, self.cpu_seconds = stages, 0.0
        self._rejects: list[Reject] = []
        self._decided: dict[tuple[int, int], tuple] = {}
        self.replay = Replay(stages, self._rejects.append, self._publish)
        self._files_done, self._started = 0, False

    def _check_first(self, table: pa.Table) -> None:
        """A fresh step must start at the run's first chunk: one that starts later is a
        restarted process whose windows are empty, and its decisions would differ. The
        first chunk comes before its file's trailer (unless the file is empty)."""
        file, seq, kind = (table[name][0].as_py() for name in ("_file", "_seq", "_kind"))
        if file != 0 or seq >= CHUNK or (kind == "f" and seq > 0):
            raise PipelineError(RESTARTED)

    def _publish(self, chunk: tuple[int, int], decided: dict) -> None:
        self._decided.update(((chunk[0], seq), value) for seq, value in decided.items())

    def __call__(self, table: pa.Table) -> Replayed:
        start = time.process_time()
        if not self._started and table.num_rows:
            self._check_first(table)
            self._started = True
        self.replay.feed_table(table)
        self.replay.close()
        files = self.replay.files[self._files_done:]
        self._files_done = len(self.replay.files)
        self.cpu_seconds += time.process_time() - start
        out = Replayed(comment_ranges(table), self._decided, list(self._rejects), files,
                       summaries([self.stages.dedup, self.stages.link]), self.cpu_seconds, dict(self.replay.unread))
        self._decided = {}
        self._rejects.clear()
        return out


def comment_ranges(table: pa.Table) -> list[tuple[int, int, int]]:
    """(file, first seq, last seq) of the comment rows of a key block, per file in order."""
    out = []
    for index, part in by_file(comments_only(table.select(["_file", "_seq", "_kind"]))):
        seqs = part["_seq"]
        out.append((index, seqs[0].as_py(), seqs[len(seqs) - 1].as_py()))
    return out


def _dup_keys(values: tuple) -> DupKeys:
    return tuple.__new__(DupKeys, values)


def default_dup(noise: str | None) -> tuple:
    """What ``DedupStage.decide`` says of a comment with no earlier copy."""
    return (None, None, 1, noise)


# --- 3. annotate (parallel, actors) ---------------------------------------------------------
def annotate_part(table: pa.Table, stages: Stages, decisions: Callable[[int, int], tuple | None]) -> list[Comment]:
    """Comments of one prepared table: the replayed decisions applied, the other stages run."""
    comments = from_arrow(table.select([n for n in FIELD_NAMES if n in table.column_names]))
    return run_rest(apply_decisions(table, comments, stages, decisions), stages)


def apply_decisions(table: pa.Table, comments: list[Comment], stages: Stages,
                    decisions: Callable[[int, int], tuple | None]) -> list[Comment]:
    """``comments`` (read from ``table``) with the replay's dedup and link decisions applied."""
    files, seqs, noises, own = (table[name].to_pylist() for name in ("_file", "_seq", "_noise", "_link"))
    decided = [decisions(f, s) or (None, None) for f, s in zip(files, seqs)]
    dups = [d[0] or default_dup(noise) for d, noise in zip(decided, noises)]
    links = [d[1] or tuple(json.loads(link)) for d, link in zip(decided, own)]
    return stages.link.annotate(stages.dedup.annotate(comments, dups), links)


def run_rest(batch: list[Comment], stages: Stages) -> list[Comment]:
    """``batch`` through the stages after link, in the local run's batch size."""
    out: list[Comment] = []
    for start in range(0, len(batch), stages.batch_size):
        part = batch[start:start + stages.batch_size]
        for stage in stages.rest:
            part = stage(part)
        out.extend(part)
    return out


def annotate_block(replayed: Replayed, folder: str | os.PathLike, parts: str | os.PathLike, stages: Stages,
                   accumulator, tally) -> list[str]:
    """Annotate the comments a ``Replayed`` covers (read back from ``folder``), write each
    chunk as a Parquet part under ``parts``, update ``accumulator`` and ``tally``; returns
    the kept files it read."""
    used = []
    decision = lambda index, seq: replayed.decisions.get((index, seq))  # noqa: E731
    for index, first, last in replayed.ranges:
        for path, part in load_prepared(folder, index, first, last):
            annotated = annotate_part(part, stages, decision)
            write_part(parts, index, part["_seq"][0].as_py(), annotated)
            accumulator.update(annotated)
            tally.update(annotated)
            used.append(str(path))
    return used


def comments_only(table: pa.Table) -> pa.Table:
    return table.filter(pc.equal(table["_kind"], "c"))


def by_file(table: pa.Table) -> Iterator[tuple[int, pa.Table]]:
    """(file number, rows of that file) in the order the files appear."""
    for index in dict.fromkeys(table["_file"].to_pylist()):
        yield index, table.filter(pc.equal(table["_file"], index))


def write_part(folder: str | os.PathLike, index: int, first_seq: int, comments: list[Comment]) -> None:
    """``folder/input=NNNNN/part-SSSSSSSSSSSS.parquet``, named by its first record: a retried
    task writes the same file again (atomic rename), never a second copy."""
    target = Path(folder) / f"input={index:05d}" / f"part-{first_seq:012d}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    pq.write_table(to_arrow(comments), tmp)
    os.replace(tmp, target)

