#!/usr/bin/env bash
# One prepared run on a lent GPU machine (see the device tool): rebuild and check the e5
# encoder from the pack, measure accurate-tier throughput against a plain pipeline() in
# the same run, fine-tune LoRA adapters, and score them beside the shipped one on the
# same held-out dev rows. Needs .devpack/ from training/sentiment_e5/device_pack.py.
#
#   OUT=/tmp/gpu bash benchmarks/gpu_session.sh                      # on the GPU machine
#   DEVICE=cpu N=200 BASE_N=50 RUNS="7:1" OUT=/tmp/gpu bash benchmarks/gpu_session.sh   # dry run
set -u
DEVICE=${DEVICE:-cuda}; N=${N:-40000}; BASE_N=${BASE_N:-2000}; RUNS=${RUNS:-"4000:3 8000:3"}
PY=${PY:-python3}; ENC=${ENC:-/tmp/e5-small}; FT_LIMIT=${FT_LIMIT:-240}
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD
mkdir -p "$OUT"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null
  $PY -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
} | tee "$OUT/env.txt"
$PY benchmarks/gpu_check.py build --encoder "$ENC" --device "$DEVICE" | tee "$OUT/build.json" || exit 1
$PY benchmarks/sentiment_e5_speed.py --device "$DEVICE" --n "$N" --baseline-n "$BASE_N" --repeat 3 \
    --comments .devpack/bench.jsonl.gz --encoder "$ENC" --json-out "$OUT/speed.json" > /dev/null
heads=(analyzer/_models/sentiment-e5)
for run in $RUNS; do
  per_group=${run%:*}; epochs=${run#*:}; dir=/tmp/ft-$per_group-x$epochs
  timeout "$FT_LIMIT" $PY -m training.sentiment_e5.finetune --rows .devpack/train.jsonl.gz --per-group "$per_group" \
      --epochs "$epochs" --device "$DEVICE" --encoder "$ENC" --out "$dir" 2>&1 | grep -v "^step [0-9]*[1-9]/\|^step [0-9]*[05]0/" | tail -4
  heads+=("$dir")
done
$PY benchmarks/gpu_check.py evaluate "${heads[@]}" --encoder "$ENC" --device "$DEVICE" > "$OUT/eval.json"
cat "$OUT/eval.json" | $PY -c "import json,sys; [print(k, v.get('mean_per_language_macro_f1'), v.get('all_rows_macro_f1')) for k, v in json.load(sys.stdin).items()]"
for h in "${heads[@]:1}"; do [ -d "$h" ] && tar -cf "$OUT/$(basename "$h").tar" -C "$(dirname "$h")" "$(basename "$h")"; done
$PY -c "import json; d=json.load(open('$OUT/speed.json')); print({k: d[k] for k in ('baseline_pipeline_per_s','tokenize_per_s')}, {k: v['per_s'] for k, v in d['variants'].items()})"
