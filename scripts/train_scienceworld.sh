#!/usr/bin/env bash
# ScienceWorld modules trained teacher-free from gold paths (issue 22), against a flat baseline at the same budget.
#
# 1. Annotations: `lumos annotate --source scienceworld`, the gold paths of PER_TYPE train variations of every
#    seen task type (scienceworld.tasks.UNSEEN are never annotated), segmented into subgoals, grounded as Act
#    actions and kept only where their replay scores 100 (rejection reasons in $OUT/ann/summary.json).
# 2. Data: `lumos data build --domain scienceworld`: Lumos-I and Lumos-O planner and grounder conversations and the
#    flat baseline's (direct_iterative: the task and the first room -> the next actions, then what they showed).
# 3. Training, Lumos-I and the flat model at BUDGET training tokens each from the same episodes (Lumos-I gives
#    PLAN_SHARE % to the planner, the rest to the grounder), LoRA r=8 on the embedded SmolLM2-135M,
#    conversations cut at MAX_LENGTH tokens; resumable (a checkpoint every 5 steps).
# 4. Evaluation: the seen split (EPISODES_SEEN test variations of each of the 22 seen types: 110 by default) and
#    the unseen split (EPISODES_UNSEEN of each of the 8 unseen types, fewer where a type has fewer: 103 for 16),
#    for Lumos-I, the flat model and the few-shot base; `lumos report` with 95 % intervals and exact McNemar
#    tests on success against the flat model.
#
# Usage: scripts/train_scienceworld.sh            (everything; resumable: finished parts are skipped)
#   STAGE=annotate|data|train|eval  stop after that stage;  JOBS=2 (default): two one-thread training lanes
#   OUT (runs/scienceworld-$BUDGET), PER_TYPE (10), BUDGET (200000), PLAN_SHARE (50), MAX_LENGTH (2048),
#   GRAD_ACCUM (1: an update per conversation), EPISODES_SEEN (5), EPISODES_UNSEEN (16), MAX_ROUNDS (30),
#   METHODS_EVAL ("lumos-i direct base"), SPLITS ("unseen seen": the order of the evaluations),
#   ROUND_STEP (2): the methods take turns, ROUND_STEP variations of every task type each, so that a run
#   stopped part way leaves them on the same episodes; ANN ($OUT/ann: reuse the annotations of an earlier run)
# The first run (BUDGET=100000 GRAD_ACCUM=4) gave the planner 12 updates, too few to learn the format
# (docs/results.md section 12).
set -u
cd "$(dirname "$0")/.."
BUDGET=${BUDGET:-200000}
GRAD_ACCUM=${GRAD_ACCUM:-1}
PLAN_SHARE=${PLAN_SHARE:-50}
PER_TYPE=${PER_TYPE:-10}
MAX_LENGTH=${MAX_LENGTH:-2048}
EPISODES_SEEN=${EPISODES_SEEN:-5}
EPISODES_UNSEEN=${EPISODES_UNSEEN:-16}
MAX_ROUNDS=${MAX_ROUNDS:-30}
ROUND_STEP=${ROUND_STEP:-2}
OUT=${OUT:-runs/scienceworld-$BUDGET}
METHODS_EVAL=${METHODS_EVAL:-lumos-i direct base}
D=$OUT/data
ANN=${ANN:-$OUT/ann}
L=.venv/bin/lumos
PY=.venv/bin/python
[ -x $L ] || { L=lumos; PY=python; }
mkdir -p $OUT/train $OUT/eval

SEEN_TYPES=$($PY -c "from lumos.domains.scienceworld.tasks import seen_tasks; print(len(seen_tasks()))") || exit 1
echo "== annotations ($PER_TYPE train variations of each of $SEEN_TYPES seen task types) $(date +%T)"
$L annotate --source scienceworld --out $ANN --limit $((PER_TYPE * SEEN_TYPES)) --no-progress || exit 1
[ "${STAGE:-}" = annotate ] && exit 0
if [ ! -f $D/manifest.json ]; then
  $L data build $ANN --domain scienceworld --out $D --heldout 0.05 || exit 1
fi
mkdir -p $D/eval-small
for f in $D/heldout/*.jsonl; do head -n 24 "$f" > $D/eval-small/$(basename "$f"); done
[ "${STAGE:-}" = data ] && exit 0

source scripts/train_lib.sh
# one conversation a step (ScienceWorld conversations run to MAX_LENGTH tokens), GRAD_ACCUM steps per update
train() { train_adapter "$@" --max-length $MAX_LENGTH --epochs 1 --batch-size 1 --grad-accum $GRAD_ACCUM --config $OUT/train.yaml; }
printf 'save_steps: 5  # a checkpoint every 5 steps: a stopped session loses little\n' > $OUT/train.yaml
PLAN=$((BUDGET * PLAN_SHARE / 100))
GROUND=$((BUDGET - PLAN))
lane1() { train plan-iterative plan iterative plan_iterative $PLAN; train ground-iterative ground iterative ground_iterative $GROUND; }
lane2() { train direct-iterative direct iterative direct_iterative $BUDGET; }
if [ "${JOBS:-2}" -ge 2 ]; then
  (export OMP_NUM_THREADS=1 LUMOS_NUM_THREADS=1; lane1 & lane2 & wait)
else
  lane1; lane2
fi
for m in plan-iterative ground-iterative direct-iterative; do
  [ -f $OUT/train/$m/final/adapter_model.safetensors ] || { echo "training $m did not finish"; exit 1; }
done
[ "${STAGE:-}" = train ] && exit 0

T=$OUT/train
# eight episodes a batch: the model serves them together (a step costs about the same for 1 or 8 requests)
export LUMOS_SCIENCEWORLD_SIMULATORS=${LUMOS_SCIENCEWORLD_SIMULATORS:-8}
E="$L eval scienceworld --max-rounds $MAX_ROUNDS --no-progress"
for split in ${SPLITS:-unseen seen}; do
  n=$EPISODES_SEEN; [ $split = unseen ] && n=$EPISODES_UNSEEN
  for k in $(seq $ROUND_STEP $ROUND_STEP $((n + ROUND_STEP - 1))); do
    [ $k -gt $n ] && k=$n
    for m in $METHODS_EVAL; do
      echo "== eval $m on $split ($k a task type) $(date +%T)"
      case $m in
        lumos-i) $E --split $split --episodes $k --method lumos-iterative --plan-adapter $T/plan-iterative/final \
          --ground-adapter $T/ground-iterative/final --label Lumos-I-trained --out $OUT/eval/$split-lumos-i ;;
        direct) $E --split $split --episodes $k --method direct-iterative --adapter $T/direct-iterative/final \
          --label direct-trained --out $OUT/eval/$split-direct ;;
        base) $E --split $split --episodes $k --method lumos-iterative --no-trained \
          --label "few-shot base (Lumos-I)" --out $OUT/eval/$split-base ;;
      esac >> $OUT/eval/$split-$m.log 2>&1 || echo "FAILED eval $m on $split (see $OUT/eval/$split-$m.log)"
    done
  done
done
[ "${STAGE:-}" = eval ] && exit 0
for s in seen unseen; do  # one report per split (a method's two runs would share its name in one table)
  runs=$(for m in $METHODS_EVAL; do [ -f $OUT/eval/$s-$m/metrics.json ] && echo $OUT/eval/$s-$m; done)
  $L report $runs --paired-against "direct-iterative (direct-trained)" --out $OUT/report-$s.md --no-views
done
echo "== done $(date +%T): $OUT/report-seen.md, $OUT/report-unseen.md"
