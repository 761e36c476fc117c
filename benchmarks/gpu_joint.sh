#!/usr/bin/env bash
# One prepared run of the joint e5 model on a lent GPU machine (see the device tool): rebuild
# and check the e5 encoder from the pack, then train training/joint_e5/train.py longer than the
# CPU run can (more stance rows per group, every layer, longer texts, more epochs), each run
# under its own time cap, and tar each model folder into $OUT. Score the fetched folders here
# with `python -m training.joint_e5.evaluate --model DIR` (the dev sets are not packed).
# Needs .devpack-joint/ from `python -m training.joint_e5.pack` (carry it with the run).
#
#   OUT=/tmp/gpu bash benchmarks/gpu_joint.sh                                        # on the GPU machine
#   DEVICE=cpu RUNS="100:1:4:64" MINUTES=1 OUT=/tmp/gpu bash benchmarks/gpu_joint.sh  # dry run on CPU
set -u
DEVICE=${DEVICE:-cuda}; PY=${PY:-python3}; ENC=${ENC:-/tmp/e5-small}; PACK=${PACK:-.devpack-joint}
RUNS=${RUNS:-"1000:3:12:128 1000:2:4:128"}  # stance-per-group:theme-epochs:train-layers:max-len
MINUTES=${MINUTES:-4}
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD
mkdir -p "$OUT"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null
  $PY -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
} | tee "$OUT/env.txt"
$PY benchmarks/gpu_check.py build --pack "$PACK" --encoder "$ENC" --device "$DEVICE" | tee "$OUT/build.json" || exit 1
for run in $RUNS; do
  IFS=: read -r per_group epochs layers max_len <<< "$run"
  name=joint-$per_group-x$epochs-l$layers-t$max_len; dir=/tmp/$name
  $PY -m training.joint_e5.train --rows "$PACK/rows.jsonl.gz" --encoder "$ENC" --device "$DEVICE" \
      --stance-per-group "$per_group" --theme-epochs "$epochs" --train-layers "$layers" --max-len "$max_len" \
      --batch-size 32 --max-minutes "$MINUTES" --out "$dir" 2>&1 | grep -v "^step" | tail -4
  [ -f "$dir/weights.npz" ] && tar -cf "$OUT/$name.tar" -C /tmp "$name"
done
ls -l "$OUT"
