#!/usr/bin/env bash
# The Lumos-135M experiment: few-shot vs trained baselines vs trained Lumos modules, same base model
# (SmolLM2-135M-Instruct), same source problems and training-token budget (scripts/train_lumos_135m.sh).
set -eu
cd "$(dirname "$0")/.."
N=${N:-50}
T=runs/train
OUT=${OUT:-runs/experiment}
for bench in gsm8k svamp gsm_symbolic; do
  case $bench in
    gsm8k) data="--data ../shared/data/gsm8k_test_sample.jsonl" ;;
    svamp) data="--data ../shared/data/svamp_sample.jsonl" ;;
    gsm_symbolic) data="" ;;  # generated with an evaluation seed that training data excludes
  esac
  e=".venv/bin/lumos eval $bench $data --limit $N --no-progress"
  $e --method lumos-iterative,cot --no-trained --label "few-shot" --out $OUT/$bench/few-shot
  $e --method cot --adapter $T/cot/final --label "CoT-trained" --out $OUT/$bench/cot-trained
  $e --method integrated --adapter $T/integrated/final --label "integrated-trained" --out $OUT/$bench/integrated-trained
  $e --method direct --adapter $T/direct/final --label "direct-trained" --out $OUT/$bench/direct-trained
  $e --method lumos-iterative --plan-adapter $T/plan-iterative/final --ground-adapter $T/ground-iterative/final \
     --label "Lumos-I trained" --out $OUT/$bench/lumos-i
  $e --method lumos-onetime --plan-adapter $T/plan-onetime/final --ground-adapter $T/ground-onetime/final \
     --label "Lumos-O trained" --out $OUT/$bench/lumos-o
done
