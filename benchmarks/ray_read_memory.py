"""Peak private memory of one ReadActor (Ray) reading one generated file, split into
object-store pages it wrote (/dev/shm plasma) and its own memory; a diagnostic for
benchmarks/results/ray_scaling_memory.md.

    PYTHONPATH=$PWD OMP_NUM_THREADS=1 python benchmarks/ray_read_memory.py 50000 new   # or old: 128 MiB blocks

With the streamed engine (a ReadActor that keeps the comment rows on disk and hands on the
key columns) the actor is given a temporary folder for the kept rows.
"""
import inspect, sys, tempfile, threading, time
from pathlib import Path
import psutil, ray, ray.data
from analyzer.engines.ray import ReadActor, BLOCK_BYTES
from analyzer.io import ReadContext
from analyzer.pipeline import Pipeline
from tests.ray_corpus import write_corpus
n = int(sys.argv[1])
paths = write_corpus(Path(tempfile.mkdtemp(prefix="ray_read_memory_")), n=n, files=1)
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False, logging_level="ERROR")
peaks = {}
stop = threading.Event()
def sample():
    me = psutil.Process()
    while not stop.is_set():
        for p in me.children(recursive=True) + psutil.Process(1).children(recursive=True):
            try:
                if "ReadActor" not in " ".join(p.cmdline()):
                    continue
                shm = other = 0
                for m in p.memory_maps(grouped=True):
                    priv = (m.private_clean + m.private_dirty) / 2**20
                    if "plasma" in m.path or "/dev/shm" in m.path:
                        shm += priv
                    else:
                        other += priv
                peaks["store_private"] = max(peaks.get("store_private", 0), shm)
                peaks["other_private"] = max(peaks.get("other_private", 0), other)
                if shm + other > peaks.get("uss", 0):
                    peaks["top"] = sorted(((round((m.private_clean + m.private_dirty) / 2**20, 1), m.path[-60:]) for m in p.memory_maps(grouped=True)), reverse=True)[:6]
                peaks["uss"] = max(peaks.get("uss", 0), shm + other)
            except psutil.Error:
                pass
        time.sleep(0.3)
t = threading.Thread(target=sample, daemon=True); t.start()
ctx = ray.data.DataContext.get_current()
ctx.target_max_block_size = BLOCK_BYTES if sys.argv[2] == "new" else 128 * 2**20
ctx.execution_options.preserve_order = True
files = ray.data.from_items([{"file": 0, "path": paths[0]}], override_num_blocks=1)
args = (Pipeline.from_config, ReadContext())
if "kept" in inspect.signature(ReadActor.__init__).parameters:  # the streamed engine
    args += (tempfile.mkdtemp(prefix="ray_read_memory_kept_"),)
ds = files.map_batches(ReadActor, fn_constructor_args=args, batch_size=1,
                       batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=1)).materialize()
time.sleep(1); stop.set(); t.join()
print(n, sys.argv[2], ds.num_blocks(), peaks, flush=True)
