#!/usr/bin/env bash
# The first results table: the embedded default model (SmolLM2-135M-Instruct, untrained, 3 in-context
# demonstrations) on the gsm8k, svamp and strategyqa samples, four methods, 100 examples each.
set -eu
cd "$(dirname "$0")/.."
N=${N:-100}
OUT=${OUT:-runs/table}
for bench in gsm8k svamp strategyqa; do
  case $bench in
    gsm8k) data=../shared/data/gsm8k_test_sample.jsonl ;;
    svamp) data=../shared/data/svamp_sample.jsonl ;;
    strategyqa) data=../shared/data/strategyqa_sample.jsonl ;;
  esac
  .venv/bin/lumos eval $bench --data $data --limit $N --no-trained --no-progress \
    --method direct,cot,lumos-onetime,lumos-iterative --out $OUT/$bench
done
.venv/bin/lumos report $OUT/*/* --out docs/table_base.md --chart docs/table_base.png
