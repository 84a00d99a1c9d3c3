#!/usr/bin/env bash
# The Lumos-135M experiment: few-shot vs trained baselines vs trained Lumos modules, same base model
# (SmolLM2-135M-Instruct), same source problems and training-token budget (scripts/train_lumos_135m.sh), on the
# default engine (llama.cpp), settings eval-settings.yaml. The trained Lumos-I/O rows on gsm8k and svamp come from
# scripts/eval_table.sh runs made while these 40k-token adapters were the shipped ones (its first N examples).
# Usage: N=50 scripts/eval_experiment.sh
set -u
cd "$(dirname "$0")/.."
export LUMOS_NUM_THREADS=${LUMOS_NUM_THREADS:-1}
N=${N:-50}
T=runs/train
OUT=${OUT:-runs/experiment-llama}
for bench in gsm_symbolic gsm8k svamp; do
  case $bench in
    gsm8k) data="--data ../shared/data/gsm8k_test_sample.jsonl" ;;
    svamp) data="--data ../shared/data/svamp_sample.jsonl" ;;
    gsm_symbolic) data="" ;;  # generated with an evaluation seed that training data excludes
  esac
  e=".venv/bin/lumos eval $bench $data --limit $N --config scripts/eval-settings.yaml --no-progress"
  echo "== $bench $(date +%T)"
  $e --method direct --adapter $T/direct/final --label "direct-trained" --out $OUT/$bench/direct-trained
  $e --method cot --adapter $T/cot/final --label "CoT-trained" --out $OUT/$bench/cot-trained
  $e --method integrated --adapter $T/integrated/final --label "integrated-trained" --out $OUT/$bench/integrated-trained
  if [ $bench = gsm_symbolic ]; then
    $e --method direct,cot --no-trained --label "few-shot" --out $OUT/$bench/few-shot
    $e --method lumos-onetime --label "Lumos-O trained" --out $OUT/$bench/lumos-o
    $e --method lumos-iterative --label "Lumos-I trained" --out $OUT/$bench/lumos-i
  fi
done
echo "== done $(date +%T)"
