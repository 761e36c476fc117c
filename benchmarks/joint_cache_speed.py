"""A joint-e5 training step from the frozen layers' cached output vs the full forward, in ONE run:

    nice -n 10 python benchmarks/joint_cache_speed.py [--rows 96] [--repeat 3] [--train-layers 4]
        [--threads 2] [--out benchmarks/results/joint15_cache_speed.json]

The same batches of 16 training rows (a fixed sample of ``training/joint_e5/train.py``'s theme
training rows, ``--max-len`` tokens; texts are read, never written), each pass timed both ways,
interleaved (full, cached, full, cached, ...) so the machine's load hits both alike: (a) the full
forward of e5-small with sentiment.e5.v1's adapter + the four heads' joint loss + backward into
the top ``--train-layers`` layers' adapter and the heads (what train.py did before), (b) the same
from the cached output of the lower layers (``training/joint_e5/frozen.py``). The optimiser step
is left out of both (same cost either way; the weights stay fixed so both paths see the same
model). Also timed: computing the cache once for these rows. CPU seconds (process time, all
threads) are recorded beside wall seconds; the ratio of CPU seconds is the steadier one on a
shared machine. The embeddings of both paths are compared (eval-mode forward) on the same rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=96)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "joint15_cache_speed.json")
    args, rest = ap.parse_known_args(argv)
    import numpy as np
    import torch

    from analyzer.backends.embedding.e5 import mean_pool
    from training.joint_e5 import frozen, joint
    from training.joint_e5 import train as T
    from training.sentiment_e5.finetune import batches, pad

    targs = T.parse(rest)
    torch.manual_seed(T.SEED)
    torch.set_num_threads(targs.threads)
    train_rows, _ = T.theme_rows(targs.shared)
    rows = train_rows[:: max(1, len(train_rows) // args.rows)][: args.rows]
    tok, model, wrappers, _ = T.load_model(torch, targs)
    ids = tok(["query: " + r["text"][: T.SD.TRAIN_CHARS] for r in rows], truncation=True, max_length=targs.max_len,
              verbose=False)["input_ids"]
    heads = T.Heads(torch, int(model.config.hidden_size), None, "cpu")
    lw = T.loss_weights(torch, rows, "cpu")
    weights = torch.ones(len(rows))
    plan = batches([len(x) for x in ids], targs.batch_size, T.SEED)
    lower = frozen.split(model, targs.train_layers)
    params = [p for w in wrappers.values() for p in (w.A, w.B) if p.requires_grad] + list(heads.p.values())
    F = torch.nn.functional
    states: list = []
    cache_wall, cache_cpu = timed(lambda: states.extend(frozen.lower_states(torch, model, ids, lower, tok.pad_token_id, "cpu")))

    def full_z(batch):
        arr, mask = pad([ids[i] for i in batch], tok.pad_token_id)
        m = torch.from_numpy(mask)
        return F.normalize(mean_pool(model(input_ids=torch.from_numpy(arr), attention_mask=m).last_hidden_state, m), dim=-1)

    def cached_z(batch):
        return frozen.top_embedding(torch, model, [states[i] for i in batch], lower, "cpu")

    def one_pass(embed):
        for batch in plan:
            y = {k: torch.from_numpy(v) for k, v in joint.targets([rows[i] for i in batch]).items()}
            loss = joint.joint_loss(torch, heads(embed(batch)), y, {**lw, "stance_row": weights[batch]})["total"]
            for p in params:
                p.grad = None
            loss.backward()

    timings = {"full": [], "cached": []}
    for _ in range(args.repeat):
        for name, embed in (("full", full_z), ("cached", cached_z)):
            timings[name].append(timed(lambda e=embed: one_pass(e)))
    model.eval()
    with torch.no_grad():
        diff = max(float((full_z(b) - cached_z(b)).abs().max()) for b in plan)
    best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in timings.items()}
    n = len(rows)
    result = {"rows": n, "tokens_per_row": round(sum(map(len, ids)) / n, 1), "batches": len(plan),
              "train_layers": targs.train_layers, "frozen_layers": lower, "max_len": targs.max_len,
              "threads": targs.threads, "repeat": args.repeat, "load_average": os.getloadavg(),
              "cache_once": {"wall_s": round(cache_wall, 2), "cpu_s": round(cache_cpu, 2)},
              "pass_wall_s": {k: [round(w, 2) for w, _ in v] for k, v in timings.items()},
              "pass_cpu_s": {k: [round(c, 2) for _, c in v] for k, v in timings.items()},
              "rows_per_cpu_s": {k: round(n / c, 2) for k, (_, c) in best.items()},
              "ratio_full_over_cached": {"wall": round(best["full"][0] / best["cached"][0], 2),
                                         "cpu": round(best["full"][1] / best["cached"][1], 2)},
              "max_abs_embedding_diff_eval_mode": diff}
    for epochs in (1, 3):
        full = epochs * best["full"][1]
        cached = cache_cpu + epochs * best["cached"][1]
        result[f"cpu_ratio_{epochs}_epochs_with_cache_cost"] = round(full / cached, 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
