#!/usr/bin/env bash
set -u
cd "$(dirname "$0")/.."
export LUMOS_NUM_THREADS=${LUMOS_NUM_THREADS:-1}
N=${N:-20}
T=runs/train
OUT=runs/experiment
C="--config scripts/eval-settings.yaml --backend hf --no-progress --limit $N --batch-size $N"
for bench in gsm8k svamp; do
  case $bench in gsm8k) data=../shared/data/gsm8k_test_sample.jsonl ;; svamp) data=../shared/data/svamp_sample.jsonl ;; esac
  e=".venv/bin/lumos eval $bench --data $data $C"
  echo "== $bench $(date +%T)"
  $e --method lumos-iterative --plan-adapter $T/plan-iterative/final --ground-adapter $T/ground-iterative/final --label "Lumos-I trained" --out $OUT/$bench/lumos-i
  $e --method cot --adapter $T/cot/final --label "CoT-trained" --out $OUT/$bench/cot-trained
  $e --method lumos-onetime --plan-adapter $T/plan-onetime/final --ground-adapter $T/ground-onetime/final --label "Lumos-O trained" --out $OUT/$bench/lumos-o
  $e --method direct,cot,lumos-onetime,lumos-iterative --no-trained --examples 1 --label "few-shot" --out $OUT/$bench/few-shot
done
echo "== done $(date +%T)"
