"""What an annotation actor saves by taking the driver's stages from Ray's object store
instead of building them: each way timed in a fresh process (CPU seconds, ``process_time``),
the two alternated ``--repeat`` times.

- ``build``: ``build_pipeline(config)``, what an actor did before (model files read, the
  language-ID model decompressed, lexicons and tables made);
- ``shared``: the same pipeline as the driver's ``ray.put`` serializes it (Ray's cloudpickle,
  protocol 5, numpy arrays as out-of-band buffers) loaded back with those buffers, which is
  what ``ray.get`` does in an actor (the buffers then live in the store's shared memory).

Both count only that step: the imports it needs are done before the clock starts.

    nice -n 5 python benchmarks/ray_shared_stages.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

CHILD = """
import json, pickle, sys, time
from ray import cloudpickle
import analyzer.runner as runner
config = runner.resolve_config(None)
way, blob = sys.argv[1], sys.argv[2]
if way == "build":
    start = time.process_time(); pipeline = runner.build_pipeline(config); cpu = time.process_time() - start
else:
    with open(blob + ".meta") as f:
        sizes = json.load(f)
    data = open(blob, "rb").read()
    raw = open(blob + ".buffers", "rb").read()
    buffers, at = [], 0
    for size in sizes:
        buffers.append(memoryview(raw)[at:at + size]); at += size
    start = time.process_time(); pipeline = pickle.loads(data, buffers=buffers); cpu = time.process_time() - start
print(json.dumps({"way": way, "cpu_seconds": round(cpu, 3), "stages": [s.name for s in pipeline.stages]}))
"""

DUMP = """
import json, sys
from ray import cloudpickle
import analyzer.runner as runner
pipeline = runner.build_pipeline(runner.resolve_config(None))
buffers = []
data = cloudpickle.dumps(pipeline, protocol=5, buffer_callback=buffers.append)
raws = [b.raw() for b in buffers]
open(sys.argv[1], "wb").write(data)
open(sys.argv[1] + ".buffers", "wb").write(b"".join(bytes(r) for r in raws))
json.dump([r.nbytes for r in raws], open(sys.argv[1] + ".meta", "w"))
print(json.dumps({"in_band_mib": round(len(data) / 2**20, 2), "buffers": len(raws),
                  "buffer_mib": round(sum(r.nbytes for r in raws) / 2**20, 1)}))
"""


def child(script: str, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", script, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(RESULTS / "ray_shared_stages"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ray_shared_") as tmp:
        blob = str(Path(tmp) / "pipeline.pickle")
        record = {"command": " ".join(["python benchmarks/ray_shared_stages.py", *sys.argv[1:]]),
                  "serialized": child(DUMP, blob), "load_before": list(os.getloadavg()), "runs": []}
        for _ in range(args.repeat):
            for way in ("build", "shared"):
                record["runs"].append(child(CHILD, way, blob))
                print(json.dumps(record["runs"][-1]), flush=True)
        record["load_after"] = list(os.getloadavg())
    Path(args.out + ".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    Path(args.out + ".md").write_text(markdown(record), encoding="utf-8")


def markdown(record: dict) -> str:
    def cpu(way: str) -> list[float]:
        return [run["cpu_seconds"] for run in record["runs"] if run["way"] == way]

    built, shared = cpu("build"), cpu("shared")
    serialized = record["serialized"]
    load = f"{record['load_before'][0]:.1f} -> {record['load_after'][0]:.1f}"
    return "\n".join([
        "# The driver's stages shared with the Ray actors vs built in each\n",
        f"`{record['command']}` (each in a fresh process, alternated; load {load} on the shared 2-core machine).\n",
        f"The default pipeline as `ray.put` serializes it: {serialized['in_band_mib']} MiB pickled plus "
        f"{serialized['buffers']} numpy buffers of {serialized['buffer_mib']} MiB, which Ray keeps in its object "
        "store's shared memory (read in place by every actor on the node).\n",
        "| way | CPU s per actor, each run | best |",
        "|---|---|---|",
        f"| build (before) | {' / '.join(f'{x:.3f}' for x in built)} | {min(built):.3f} |",
        f"| shared (after) | {' / '.join(f'{x:.3f}' for x in shared)} | {min(shared):.3f} |",
        "",
    ])


if __name__ == "__main__":
    main()
