#!/usr/bin/env bash
# Web modules trained teacher-free on MiniWoB++ (issue 23), against a flat baseline at the same budget.
#
# 1. Demonstrations: the scripted solver on every *seen* solvable task (miniwob.tasks.SEEN; the unseen ones
#    are never written, and `lumos data build` drops them if given), EPISODES seeded episodes each from the
#    demonstration seed range, kept only where MiniWoB rewards them.
# 2. Data: `lumos data build --domain miniwob`: planner and grounder conversations of Lumos-I and Lumos-O,
#    and the flat baseline's (direct_iterative: task + page -> next action, then the page it left).
# 3. Training, every method at BUDGET training tokens per epoch from the same episodes (Lumos methods split
#    theirs PLAN_SHARE % to the planner, whose conversations hold the pages, the rest to the grounder), EPOCHS
#    epochs, LoRA r=8 on the embedded SmolLM2-135M, conversations cut at 1,024 tokens.
# 4. Evaluation on SUITE (default: the 56 DOM tasks), EPISODES_EVAL episodes each on evaluation seeds
#    (below every demonstration seed): the few-shot base (Lumos-I), direct-trained, Lumos-I and Lumos-O
#    trained; `lumos report` with 95 % intervals and exact McNemar tests against direct-trained. Lumos-I runs with
#    the page ending the task (AgentConfig.end_with_env, the default); the first run's Lumos-I evaluation, where the
#    planner alone decided when to stop, is kept as $OUT/eval/lumos-i-planner-stops.
#
# Usage: BUDGET=100000 scripts/train_miniwob.sh            (everything; resumable: finished parts are skipped)
#   STAGE=train|eval  stop after that stage;  ONETIME=0: leave Lumos-O out (train and evaluate it later)
#   JOBS=2 (default): two one-thread lanes; 1: one after the other
#   OUT (default runs/miniwob-$BUDGET), SUITE (dom), EPISODES (20 per task), EPISODES_EVAL (10)
#   METHODS_EVAL (default "lumos-i direct lumos-o base"): which evaluations to run, in this order
#   FLAT_EPOCHS (default EPOCHS): the flat model's epochs. Its conversations are shorter than the Lumos modules'
#     together (336k tokens an epoch against 305k + 192k), so FLAT_EPOCHS=1.48 gives it the tokens Lumos-I uses (497k)
#     when every method sees every episode (section 14's run: OUT=results/miniwob-520000 DEMOS=results/miniwob-demos
#     BUDGET=520000 FLAT_EPOCHS=1.48 ONETIME=0 ROUNDS=10 AS_RUN=0 METHODS_EVAL="lumos-i direct" LABEL_SUFFIX=" (520k)")
#   AS_RUN=1 (default): evaluate with the settings section 8's runs were made with (see below); AS_RUN=0: today's
#     defaults, into $OUT/eval-defaults (section 13's run: OUT=results/miniwob-400000 DEMOS=results/miniwob-demos
#     BUDGET=400000 ROUNDS=10 AS_RUN=0)
#   LABEL_SUFFIX: appended to the trained methods' labels, to tell two trainings apart in one report
#     (section 14's run: LABEL_SUFFIX=" (520k)")
#   FLAT_FROM=DIR: reuse the flat model trained in DIR (an earlier OUT) instead of training it again, allowed only
#     where its training data is byte-identical to this run's (a change that touches only subgoals leaves it so);
#     the planner and the grounder then train side by side (section 15's run: OUT=results/miniwob-520000-quoted
#     DEMOS=results/miniwob-demos FLAT_FROM=results/miniwob-520000 BUDGET=520000 ONETIME=0 ROUNDS=10 AS_RUN=0
#     METHODS_EVAL=lumos-i LABEL_SUFFIX=" (520k, quoted)")
#   ROUNDS=k: evaluate round by round (every method one episode a task before the next), up to k episodes a task
# Section 13's fixed-tools run (date/time fields, ids in the QUERY) re-ran only the episodes those changes could
# alter: `python scripts/rerun_changed_episodes.py $OUT/eval-defaults/M $OUT/eval-fixed-tools/M` for each method M,
# then M's evaluation command below with `--out $OUT/eval-fixed-tools/M`.
set -u
cd "$(dirname "$0")/.."
BUDGET=${BUDGET:-100000}
PLAN_SHARE=${PLAN_SHARE:-60}
EPOCHS=${EPOCHS:-1}
FLAT_EPOCHS=${FLAT_EPOCHS:-$EPOCHS}
ONETIME=${ONETIME:-1}
EPISODES=${EPISODES:-20}
EPISODES_EVAL=${EPISODES_EVAL:-10}
SUITE=${SUITE:-dom}
OUT=${OUT:-runs/miniwob-$BUDGET}
DEMOS=${DEMOS:-runs/miniwob-demos}
METHODS_EVAL=${METHODS_EVAL:-lumos-i direct lumos-o base}
LABEL_SUFFIX=${LABEL_SUFFIX:-}
[ "${ONETIME:-1}" = 1 ] || METHODS_EVAL=${METHODS_EVAL/lumos-o /}
D=$OUT/data
L=.venv/bin/lumos
PY=.venv/bin/python
[ -x $L ] || { L=lumos; PY=python; }
mkdir -p $OUT/train $OUT/eval

# every run: episodes already written are skipped, so a stopped run goes on where it stopped
echo "== demonstrations ($EPISODES episodes per seen task) $(date +%T)"
$PY -m lumos.domains.miniwob.solver --out $DEMOS --episodes $EPISODES || exit 1
if [ ! -f $D/manifest.json ]; then
  $L data build $DEMOS --domain miniwob --out $D --heldout 0.05 || exit 1
fi
mkdir -p $D/eval-small
for f in $D/heldout/*.jsonl; do head -n 24 "$f" > $D/eval-small/$(basename "$f"); done

if [ -n "${FLAT_FROM:-}" ]; then
  for f in train/direct_iterative.jsonl eval-small/direct_iterative.jsonl; do
    cmp -s $D/$f $FLAT_FROM/data/$f || { echo "FLAT_FROM: $D/$f differs from $FLAT_FROM/data/$f; train the flat model"; exit 1; }
  done
fi
FLAT=${FLAT_FROM:-$OUT}/train/direct-iterative

source scripts/train_lib.sh
# two conversations a step, two steps per update (the same 4 a batch as the other trainings, in half the memory:
# a batch of four 1,024-token conversations took 11 GB and was killed for memory beside a second lane)
train() { train_adapter "$@" --max-length 1024 --epochs ${EP:-$EPOCHS} --batch-size 2 --grad-accum 2 --config $OUT/train.yaml; }
printf 'save_steps: 5  # a checkpoint every 5 steps: a stopped session loses little\n' > $OUT/train.yaml
PLAN=$((BUDGET * PLAN_SHARE / 100))
GROUND=$((BUDGET - PLAN))
# lanes of about equal work (the planner and flat conversations are the long ones)
lane1() {
  train plan-iterative plan iterative plan_iterative $PLAN
  if [ "$ONETIME" = 1 ]; then
    train plan-onetime plan onetime plan_onetime $PLAN
    train ground-onetime ground onetime ground_onetime $GROUND
  elif [ -z "${FLAT_FROM:-}" ]; then
    train ground-iterative ground iterative ground_iterative $GROUND
  fi
}
lane2() {
  [ "$ONETIME" = 1 ] || [ -n "${FLAT_FROM:-}" ] && train ground-iterative ground iterative ground_iterative $GROUND
  [ -n "${FLAT_FROM:-}" ] || EP=$FLAT_EPOCHS train direct-iterative direct iterative direct_iterative $BUDGET
}
if [ "${JOBS:-2}" -ge 2 ]; then
  (export OMP_NUM_THREADS=1 LUMOS_NUM_THREADS=1; lane1 & lane2 & wait)
else
  lane1; lane2
fi
ADAPTERS="$OUT/train/plan-iterative $OUT/train/ground-iterative $FLAT"
[ "$ONETIME" = 1 ] && ADAPTERS="$ADAPTERS $OUT/train/plan-onetime $OUT/train/ground-onetime"
for m in $ADAPTERS; do
  [ -f $m/final/adapter_model.safetensors ] || { echo "training $m did not finish"; exit 1; }
done
[ "${STAGE:-}" = train ] && exit 0

T=$OUT/train
# The evaluations of docs/results.md section 8 predate three speed-ups (merged adapters, the early end of looping
# grounder outputs, the conversation window); AS_RUN=1 (the default) keeps them off, so those runs resume as
# they were made into $OUT/eval; AS_RUN=0 evaluates with today's defaults into $OUT/eval-defaults.
EV=$OUT/eval
if [ "${AS_RUN:-1}" = 1 ]; then
  export LUMOS_MERGE_LORA=0
  printf 'end_repeated_actions: 0\ntrim_turns: 0\n' > $OUT/eval.yaml
else
  EV=$OUT/eval-defaults
  printf '{}\n' > $OUT/eval.yaml
fi
mkdir -p $EV
E="$L eval miniwob --suite $SUITE --episodes $EPISODES_EVAL --max-rounds 15 --no-progress --config $OUT/eval.yaml"
evaluate() {  # one method, up to `--limit $1` episodes (episode k of every task before episode k+1 of any)
  local m=$1 limit=$2
  echo "== eval $m up to $limit episodes $(date +%T)"
  case $m in
    lumos-i) $E --method lumos-iterative --plan-adapter $T/plan-iterative/final \
      --ground-adapter $T/ground-iterative/final --label "Lumos-I-trained$LABEL_SUFFIX" --out $EV/lumos-i $limit ;;
    lumos-o) $E --method lumos-onetime --plan-adapter $T/plan-onetime/final \
      --ground-adapter $T/ground-onetime/final --label "Lumos-O-trained$LABEL_SUFFIX" --out $EV/lumos-o $limit ;;
    direct) $E --method direct-iterative --adapter $FLAT/final --label "direct-trained$LABEL_SUFFIX" \
      --out $EV/direct $limit ;;
    base) $E --method lumos-iterative --no-trained --label "few-shot base (Lumos-I)" --out $EV/base $limit ;;
  esac >> $EV/$m.log 2>&1 || echo "FAILED eval $m (see $EV/$m.log)"
}
# ROUNDS=k: round by round up to k episodes a task, every method one round before any method the next, so a
# stopped session leaves the methods on the same episodes (the paired tests need them); default: each method
# all EPISODES_EVAL episodes, one after the other
if [ -n "${ROUNDS:-}" ]; then
  NTASKS=$($PY -c "from lumos.domains.miniwob.tasks import resolve_tasks; print(len(resolve_tasks(None, '$SUITE')))")
  for r in $(seq 1 "$ROUNDS"); do
    for m in $METHODS_EVAL; do evaluate $m "--limit $((r * NTASKS))"; done
  done
else
  for m in $METHODS_EVAL; do evaluate $m ""; done
fi
[ "${STAGE:-}" = eval ] && exit 0
runs=$(for m in $METHODS_EVAL; do [ -f $EV/$m/metrics.json ] && echo $EV/$m; done)
$L report $runs --paired-against "direct-iterative (direct-trained$LABEL_SUFFIX)" --out $EV/report.md --no-views
echo "== done $(date +%T): $EV/report.md"
