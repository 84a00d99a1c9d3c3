#!/usr/bin/env bash
# The paper's comparison at our scale, made to decide: direct-, CoT-, integrated-trained, Lumos-I and Lumos-O
# on SmolLM2-135M, every method at the same training-token budget (Lumos methods split theirs evenly between
# planner and grounder) from the same gsm_symbolic source problems (each method's data file lists the
# problems in the same order; the budget takes the first that fit), then each evaluated on N held-out
# gsm_symbolic problems (an evaluation seed the training data excludes), N GSM8K and N SVAMP problems, and
# reported with 95% intervals and exact McNemar tests against CoT-trained on the same problems.
#
# Usage: BUDGET=200000 N=200 scripts/compare_maths.sh
#   BUDGET  training tokens per method (default 200000: 5x the 40k of docs/results.md section 2)
#   N       examples per evaluation set (default 200)
#   JOBS    2 (default): two one-thread lanes side by side; 1: one after the other
#   BACKEND lumos eval --backend (default auto: llama.cpp on CPU; hf where a GPU is)
#   OUT     output folder (default runs/compare-$BUDGET); finished adapters and runs are skipped, so a
#           stopped run resumes where it stopped (a module part-trained resumes from its last checkpoint,
#           every 200 steps)
# On a 2-core CPU this takes hours: the two lanes trained at ~51 tokens/s each on an Intel Xeon, so the 1M
# tokens took about 2.8 h, and the 15 evaluations 70 minutes more; on a GPU, minutes. That run's adapters and
# evaluations are kept in results/compare-200000 (docs/results.md section 2).
set -u
cd "$(dirname "$0")/.."
BUDGET=${BUDGET:-200000}
N=${N:-200}
BACKEND=${BACKEND:-auto}
OUT=${OUT:-runs/compare-$BUDGET}
D=${DATA_DIR:-runs/data-maths}
SHARED=${SHARED:-../shared/data}
L=.venv/bin/lumos
[ -x $L ] || L=lumos
mkdir -p $OUT/train $OUT/eval

if [ ! -f $D/manifest.json ]; then
  $L annotate --domain maths --source gsm_symbolic --limit 3000 --out runs/annotations/gsm_symbolic
  $L data build runs/annotations/gsm_symbolic --out $D --exclude $SHARED/gsm8k_test_sample.jsonl \
    --exclude $SHARED/svamp_sample.jsonl --exclude gsm_symbolic
fi
mkdir -p $D/eval-small
for f in $D/heldout/*.jsonl; do head -n 24 "$f" > $D/eval-small/$(basename "$f"); done

source scripts/train_lib.sh
train() { train_adapter "$@" --max-length 512 --epochs 1; }  # NAME MODULE FORMULATION DATAFILE TOKENS
HALF=$((BUDGET / 2))
T=$OUT/train
evaluate() {  # METHOD: its three evaluations (skipped where finished: lumos eval resumes by example)
  for bench in gsm_symbolic gsm8k svamp; do
    case $bench in
      gsm8k) data="--data $SHARED/gsm8k_test_sample.jsonl" ;;
      svamp) data="--data $SHARED/svamp_sample.jsonl" ;;
      gsm_symbolic) data="" ;;
    esac
    e="$L eval $bench $data --limit $N --backend $BACKEND --config scripts/eval-settings.yaml --no-progress"
    echo "== eval $1 on $bench $(date +%T)"
    case $1 in
      direct) $e --method direct --adapter $T/direct/final --label direct-trained --out $OUT/eval/$bench/direct ;;
      cot) $e --method cot --adapter $T/cot/final --label CoT-trained --out $OUT/eval/$bench/cot ;;
      integrated) $e --method integrated --adapter $T/integrated/final --label integrated-trained \
        --out $OUT/eval/$bench/integrated ;;
      lumos-i) $e --method lumos-iterative --plan-adapter $T/plan-iterative/final \
        --ground-adapter $T/ground-iterative/final --label Lumos-I-trained --out $OUT/eval/$bench/lumos-i ;;
      lumos-o) $e --method lumos-onetime --plan-adapter $T/plan-onetime/final \
        --ground-adapter $T/ground-onetime/final --label Lumos-O-trained --out $OUT/eval/$bench/lumos-o ;;
    esac > $OUT/eval/$1-$bench.log 2>&1 || echo "FAILED eval $1 on $bench (see $OUT/eval/$1-$bench.log)"
  done
}
await() {  # NAME: wait until the other lane has finished training NAME
  until [ -f $T/$1/final/adapter_model.safetensors ]; do
    [ -f $T/$1.failed ] && { echo "not evaluating: training $1 failed"; return 1; }
    sleep 30
  done
}
# Two lanes, one thread each (two one-thread jobs outrun one two-thread job on this CPU: docs/training_speed.md).
# The lanes are ordered so that neither waits long for an adapter the other trains.
lane1() {
  train direct direct iterative direct $BUDGET
  train plan-iterative plan iterative plan_iterative $HALF
  train plan-onetime plan onetime plan_onetime $HALF
  train ground-onetime ground onetime ground_onetime $HALF
  await direct && evaluate direct
  await cot && evaluate cot
  await integrated && evaluate integrated
}
lane2() {
  train cot cot iterative cot $BUDGET
  train ground-iterative ground iterative ground_iterative $HALF
  train integrated integrated iterative integrated $BUDGET
  await plan-iterative && evaluate lumos-i
  await plan-onetime && await ground-onetime && evaluate lumos-o
}
if [ "${JOBS:-2}" -ge 2 ]; then
  export OMP_NUM_THREADS=1 LUMOS_NUM_THREADS=1
  lane1 & lane2 & wait
else
  lane1; lane2
fi
$L report $OUT/eval/*/*/ --paired-against "cot (CoT-trained)" --out $OUT/report.md --no-views
echo "== done $(date +%T): $OUT/report.md"
