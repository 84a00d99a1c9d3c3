#!/usr/bin/env bash
# Lumos-135M experiment: same base, same source problems (gsm_symbolic teacher-free annotations),
# same training-token budget per method (40k tokens, one epoch): Lumos methods split it over their two modules.
set -u
cd "$(dirname "$0")/.."
# Data: lumos annotate --domain maths --source gsm_symbolic --limit 3000 --out runs/annotations/gsm_symbolic
#       lumos data build runs/annotations/gsm_symbolic --out runs/data-maths --exclude ../shared/data/gsm8k_test_sample.jsonl \
#         --exclude ../shared/data/svamp_sample.jsonl --exclude gsm_symbolic
#       (eval-small/ holds the first 24 lines of each heldout/ file, for the eval loss)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
D=runs/data-maths
common="--base default --lora-r 8 --lora-alpha 16 --learning-rate 5e-4 --batch-size 4 --max-length 512 --epochs 1"
run() {  # name module formulation data budget
  [ -f runs/train/$1/final/adapter_model.safetensors ] && { echo "skip $1"; return; }
  echo "== $1 $(date +%T)"
  .venv/bin/lumos train --module $2 --formulation $3 --data $D/train/$4.jsonl --eval-data $D/eval-small/$4.jsonl \
    --out runs/train/$1 --max-tokens $5 $common > runs/train/$1.log 2>&1 || echo "FAILED $1"
  echo "   done $1 $(date +%T)"
}
run plan-iterative plan iterative plan_iterative 20000
run ground-iterative ground iterative ground_iterative 20000
run cot cot iterative cot 40000
run plan-onetime plan onetime plan_onetime 20000
run ground-onetime ground onetime ground_onetime 20000
run integrated integrated iterative integrated 40000
run direct direct iterative direct 40000
