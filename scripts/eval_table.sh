#!/usr/bin/env bash
# The results table of the embedded default, as `lumos eval` runs it with no model options: SmolLM2-135M-Instruct
# on llama.cpp, the shipped Lumos-135M adapters for the maths Lumos methods, the untrained base with 3 in-context
# demonstrations for direct, cot and complex-QA Lumos. 100 examples per benchmark, settings eval-settings.yaml.
# Usage: BENCHES="gsm8k svamp" scripts/eval_table.sh   (runs/table/<bench>/<method>/, then the report)
set -eu
cd "$(dirname "$0")/.."
export LUMOS_NUM_THREADS=${LUMOS_NUM_THREADS:-1}
N=${N:-100}
OUT=${OUT:-runs/table}
for bench in ${BENCHES:-gsm8k svamp strategyqa hotpotqa}; do
  case $bench in
    gsm8k) data=../shared/data/gsm8k_test_sample.jsonl ;;
    svamp) data=../shared/data/svamp_sample.jsonl ;;
    strategyqa) data=../shared/data/strategyqa_sample.jsonl ;;
    hotpotqa) data=../shared/data/hotpotqa_sample.jsonl ;;
  esac
  echo "== $bench $(date +%T)"
  .venv/bin/lumos eval $bench --data $data --limit $N --config scripts/eval-settings.yaml --no-progress \
    --method direct,lumos-onetime,cot,lumos-iterative --label "default" --out $OUT/$bench
done
echo "== done $(date +%T)"
if [ -z "${BENCHES:-}" ]; then
  .venv/bin/lumos report $OUT/*/* --out docs/table.md --chart docs/table.png --no-views
fi
