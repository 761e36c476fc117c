"""The work of the Ray engine that needs no Ray: reading a file into prepared row
tables, replaying the in-order decisions, annotating a block. Each step calls the
same readers, stages and accumulator as the local loop.

A prepared table holds the ``Comment`` columns (``schema.ARROW_SCHEMA``) plus:

- ``_file``, ``_seq``: input file number and the record's position in it (input order);
- ``_kind``: ``c`` comment, ``r`` reject (``_payload`` = the reject as JSON),
  ``f`` file trailer (``_payload`` = path and format; one per file, last);
- ``_id_key``, ``_author_key``, ``_text_key``, ``_signature``, ``_noise``: ``DedupStage.keys``;
- ``_link``: ``DramaLinkStage.link_own`` as JSON.
"""

from __future__ import annotations

import itertools
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
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
from ..stages.dedup import DupKeys

CHUNK = 4096  # records per prepared block (and per decisions object)

EXTRA_FIELDS = [
    ("_file", pa.int32()), ("_seq", pa.int64()), ("_kind", pa.string()), ("_payload", pa.string()),
    ("_id_key", pa.uint64()), ("_author_key", pa.uint64()), ("_text_key", pa.uint64()),
    ("_signature", pa.binary()), ("_noise", pa.string()), ("_link", pa.string()),
]
PREPARED_SCHEMA = pa.schema(list(ARROW_SCHEMA) + EXTRA_FIELDS)
REPLAY_COLUMNS = ["_file", "_seq", "_kind", "_payload", "id", "reply_to", "_id_key", "_author_key",
                  "_text_key", "_signature", "_noise", "_link"]


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


# --- 1. read + prepare (parallel, one task per file) ------------------------------------
def read_file(index: int, path: str, ctx: ReadContext, stages: Stages) -> Iterator[pa.Table]:
    """Prepared tables of one input file, ``CHUNK`` records at a time, then its trailer."""
    counts = FileCounts(display_path(path), "unknown")
    items = read_file_items(path, ctx, counts)  # the local reader: same records, same file rejects
    seq = 0
    while chunk := list(itertools.islice(items, CHUNK)):
        yield prepare(index, seq, chunk, stages)
        seq += len(chunk)
    trailer = {"path": counts.path, "format": counts.format}
    yield _other_rows(index, [(seq, "f", trailer)])


def prepare(index: int, seq: int, items: Sequence[Comment | Reject], stages: Stages) -> pa.Table:
    """Comments (normalized, with dedup keys and own drama link) then rejects, each in order."""
    positions = [seq + i for i, x in enumerate(items) if not isinstance(x, Reject)]
    comments = [x for x in items if not isinstance(x, Reject)]
    for stage in stages.before:
        comments = stage(comments)
    keys = stages.dedup.keys_batch(comments)
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


# --- 2. replay (the driver, in input order) ------------------------------------------------
class Replay:
    """Feeds the prepared rows, in input order, to the one ``DedupStage.decide`` and
    ``DramaLinkStage.resolve``: the decisions of a single stream, windows included.
    Rejects go to ``on_reject``; per-file counts to ``files``; a decision that differs
    from the default is kept per chunk and handed to ``publish((file, chunk), {seq: ...})``."""

    def __init__(self, stages: Stages, on_reject: Callable[[Reject], None],
                 publish: Callable[[tuple[int, int], dict], None]) -> None:
        self.stages, self.on_reject, self.publish = stages, on_reject, publish
        self.files: list[FileCounts] = []
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

    def _feed(self, files, seqs, kinds, payloads, ids, reply_tos, id_keys, author_keys, text_keys, signatures,
              noises, links) -> None:
        decide, resolve = self.stages.dedup.decide, self.stages.link.resolve
        rows = zip(files, seqs, kinds, payloads, ids, reply_tos, id_keys, author_keys, text_keys, signatures, noises,
                   links)
        for file, seq, kind, payload, ident, reply_to, id_key, author_key, text_key, signature, noise, link in rows:
            if kind != "c":
                self._other(kind, payload)
                continue
            self._counts["accepted"] += 1
            if self._chunk is None or file != self._chunk[0] or seq // CHUNK != self._chunk[1]:
                self.close()
                self._chunk = (file, seq // CHUNK)
            dup = decide(_dup_keys((ident, id_key, noise, author_key, text_key, signature)))
            own = self._own(link)
            resolved = resolve(ident, reply_to, own)
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

def _dup_keys(values: tuple) -> DupKeys:
    return tuple.__new__(DupKeys, values)


def default_dup(noise: str | None) -> tuple:
    """What ``DedupStage.decide`` says of a comment with no earlier copy."""
    return (None, None, 1, noise)


# --- 3. annotate (parallel, actors) ---------------------------------------------------------
def annotate_part(table: pa.Table, stages: Stages, decisions: Callable[[int, int], tuple | None]) -> list[Comment]:
    """Comments of one prepared table: the replayed decisions applied, the other stages run."""
    comments = from_arrow(table.select([n for n in FIELD_NAMES if n in table.column_names]))
    rows = table.select(["_file", "_seq", "_noise", "_link"]).to_pylist()
    decided = [decisions(r["_file"], r["_seq"]) or (None, None) for r in rows]
    dups = [d[0] or default_dup(r["_noise"]) for d, r in zip(decided, rows)]
    links = [d[1] or tuple(json.loads(r["_link"])) for d, r in zip(decided, rows)]
    batch = stages.link.annotate(stages.dedup.annotate(comments, dups), links)
    out: list[Comment] = []
    for start in range(0, len(batch), stages.batch_size):
        part = batch[start:start + stages.batch_size]
        for stage in stages.rest:
            part = stage(part)
        out.extend(part)
    return out


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


def summary_delta(before: dict[str, dict], after: dict[str, dict]) -> dict[str, dict]:
    return {name: dict(Counter(after[name]) - Counter(before.get(name, {}))) for name in after}


def summaries(stages: Sequence) -> dict[str, dict]:
    return {s.name: dict(s.summary()) for s in stages if hasattr(s, "summary")}


def add_summaries(total: dict[str, Counter], delta: dict[str, dict]) -> None:
    for name, counts in delta.items():
        total.setdefault(name, Counter()).update(counts)

