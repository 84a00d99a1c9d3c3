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
