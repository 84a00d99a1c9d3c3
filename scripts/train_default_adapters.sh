#!/usr/bin/env bash
# The Lumos-135M maths modules shipped as the default (src/lumos/domains/maths/adapters/): LoRA adapters on the
# embedded SmolLM2-135M-Instruct, trained on CPU from the teacher-free gsm_symbolic annotations (GSM8K, SVAMP
# samples and the gsm_symbolic evaluation seed excluded; see scripts/train_lumos_135m.sh for the data commands).
# Usage: FORMULATIONS="iterative onetime" scripts/train_default_adapters.sh   (runs/train-default/<module>/final,
# then copy adapter_config.json, adapter_model.safetensors, lumos_module.json and metrics.json -> train_metrics.json)
set -u
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
D=runs/data-maths
OUT=${OUT:-runs/train-default}
common="--base default --lora-r 8 --lora-alpha 16 --learning-rate 5e-4 --batch-size 4 --max-length 512 --epochs 1"
. scripts/train_lib.sh  # run MODULE FORMULATION TOKEN_BUDGET
# token budgets of the shipped adapters (what two CPU cores trained in ~45 minutes each)
for f in ${FORMULATIONS:-iterative onetime}; do
  case $f in
    iterative) run plan $f 200000; run ground $f 180000 ;;
    onetime) run plan $f 120000; run ground $f 150000 ;;
  esac
done
