# Sourced by the train_*_adapters.sh scripts: run MODULE FORMULATION TOKEN_BUDGET trains one module with
# `lumos train` from $D/train/MODULE_FORMULATION.jsonl (eval: $D/eval-small/...) into $OUT/MODULE-FORMULATION,
# with the flags in $common; a module whose adapter exists is skipped.
run() {
  name=$1-$2
  [ -f $OUT/$name/final/adapter_model.safetensors ] && { echo "skip $name"; return; }
  mkdir -p $OUT
  echo "== $name $(date +%T)"
  .venv/bin/lumos train --module $1 --formulation $2 --data $D/train/$1_$2.jsonl --eval-data $D/eval-small/$1_$2.jsonl \
    --out $OUT/$name --max-tokens $3 $common > $OUT/$name.log 2>&1 || echo "FAILED $name"
  echo "   done $name $(date +%T)"
}

# Sourced by compare_maths.sh and train_miniwob.sh: train_adapter NAME MODULE FORMULATION DATAFILE TOKENS [FLAGS]
# trains one LoRA adapter (r=8) into $OUT/train/NAME from $D/train/DATAFILE.jsonl (eval loss on
# $D/eval-small/DATAFILE.jsonl) with a budget of TOKENS training tokens, resuming from its last checkpoint; a
# finished adapter is skipped, and a training of NAME still running from an earlier invocation is waited for.
train_adapter() {
  local name=$1 module=$2 form=$3 file=$4 tokens=$5
  shift 5
  while pgrep -f -- "--out $OUT/train/$name " > /dev/null; do sleep 30; done
  [ -f $OUT/train/$name/final/adapter_model.safetensors ] && { echo "skip training $name"; return; }
  rm -f $OUT/train/$name.failed
  echo "== train $name ($tokens tokens) $(date +%T)"
  $L train --module $module --formulation $form --data $D/train/$file.jsonl --eval-data $D/eval-small/$file.jsonl \
    --out $OUT/train/$name --max-tokens $tokens --base default --lora-r 8 --lora-alpha 16 --learning-rate 5e-4 \
    --batch-size 4 --resume "$@" >> $OUT/train/$name.log 2>&1 \
    || { echo "FAILED $name"; touch $OUT/train/$name.failed; exit 1; }
}
