"""The paper's evaluation protocol (``lumos eval --protocol paper``) and the separate QA model, on the fake
backend and on the openai backend against the package's fake OpenAI server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lumos.agent.agent import AgentConfig
from lumos.cli.main import app
from lumos.errors import ConfigError
from lumos.eval.benchmarks import Example, get_benchmark
from lumos.eval.methods import make_method
from lumos.eval.protocol import get_protocol, normalise_number
from lumos.eval.runner import run_evaluation
from lumos.models.fake import FakeModel
from lumos.retrieval.build import build_index
from lumos.testing.openai_server import FakeOpenAIServer

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
STRATEGYQA = SHARED / "strategyqa_sample.jsonl"


def test_paper_settings_per_benchmark() -> None:
    limits = {b: get_protocol("paper", b).max_rounds for b in ("gsm8k", "svamp", "hotpotqa", "strategyqa")}
    assert limits == {"gsm8k": 8, "svamp": 2, "hotpotqa": 5, "strategyqa": 5}
    assert get_protocol("paper", "gsm8k").max_tokens == 512
    assert get_protocol("paper", "gsm8k").failed_action_wrong
    assert not get_protocol("paper", "hotpotqa").failed_action_wrong
    assert get_protocol("paper", "strategyqa").final_qa == "{task} Must answer yes/no."
    assert get_protocol("paper", "hotpotqa").final_qa == "{task}"
    assert get_protocol("lumos", "gsm8k") == get_protocol("lumos", "svamp")
    with pytest.raises(ConfigError, match="unknown protocol"):
        get_protocol("mine", "gsm8k")


@pytest.mark.parametrize(
    ("text", "normal"),
    [("18", "18"), ("18.0", "18"), ("1,000.", "1000"), ("$5", "5"), ("0.50", "0.5"), ("18 apples", "18 apples")],
)
def test_numbers_are_normalised_before_the_exact_comparison(text: str, normal: str) -> None:
    assert normalise_number(text) == normal


def test_paper_scoring() -> None:
    paper_maths, paper_yesno = get_protocol("paper", "gsm8k"), get_protocol("paper", "strategyqa")
    assert paper_maths.score("number", "18.0", "18") == {"accuracy": 1.0}
    assert paper_maths.score("number", "18 apples", "18") == {"accuracy": 0.0}
    assert paper_yesno.score("yesno", "Yes, it can.", True) == {"accuracy": 1.0}
    assert paper_yesno.score("yesno", "Probably", False) == {"accuracy": 1.0}
    assert paper_yesno.score("yesno", "no", True) == {"accuracy": 0.0}
    assert get_protocol("paper", "hotpotqa").score("text", "Paris", "Paris") is None  # EM/F1 as usual


def _fails_then_answers(conv: list[dict[str, str]]) -> str:
    """Subgoal 1's action fails (division by zero); subgoal 2 computes the right answer."""
    last = conv[-1]["content"]
    if "to be grounded" in last:
        return "R1 = Calculator(1 / 0)" if "Subgoal 1:" in last else "R2 = Calculator(3 + 15)"
    if "Should we stop" in last:
        return "Yes, I will stop planning." if "Subgoal 2" in last else "No, I will keep planning. Subgoal 2: Add."
    return "Subgoal 1: Divide."


@pytest.mark.parametrize(("protocol", "right"), [("lumos", 1.0), ("paper", 0.0)])
def test_a_failed_maths_action_makes_the_example_wrong_under_the_paper_protocol(
    tmp_path: Path, protocol: str, right: float
) -> None:
    model = FakeModel(responder=_fails_then_answers)
    chosen = get_protocol(protocol, "gsm8k")
    method = make_method("lumos-iterative", model, model, AgentConfig(), protocol=chosen)
    examples = [Example(id="a", question="What is 3 + 15?", answer="18")]
    config = {"benchmark": "gsm8k", "method": "lumos-iterative", "model_label": "fake"}
    result = run_evaluation(get_benchmark("gsm8k"), examples, method, tmp_path, config, progress=False,
                            protocol=chosen)
    assert result["accuracy"] == right
    assert result["protocol"] == protocol
    assert f"Protocol: {protocol}." in (tmp_path / "report.md").read_text()


def test_paper_limits_reach_the_agent() -> None:
    model = FakeModel(default="Subgoal 1: Add.")
    method: Any = make_method("lumos-iterative", model, model, AgentConfig(max_rounds=9),
                              protocol=get_protocol("paper", "svamp"))
    cfg = method.agent.config
    assert (cfg.max_rounds, cfg.plan_max_tokens, cfg.ground_max_tokens, cfg.final_qa) == (2, 512, 512, "")


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    out = tmp_path / "index"
    build_index([{"title": "Sky", "text": "The sky is blue on a clear day."}], out, source="test")
    return out


def _planner(prompt: str) -> str:
    if "Please ground" in prompt:
        return "R1 = QA([], Question: Is the sky green?)"
    if "Should we stop planning?" in prompt:
        return "Yes, I will stop planning. The question is answered."
    return "Subgoal 1: Ask whether the sky is green."


def _qa_reply(request: dict[str, Any]) -> str:
    """The QA model: 'no' to the sub-question, 'yes' to the final question over all QA results."""
    return "yes" if "Must answer yes/no." in request["messages"][-1]["content"] else "no"


def test_paper_protocol_on_the_openai_backend_with_a_separate_qa_model(tmp_path: Path, index_dir: Path) -> None:
    # the package first: a machine without it and without the shared data is told the install command
    pytest.importorskip("sentence_transformers", reason="the QA tools' dense re-ranking: pip install 'lumos-agents[qa]'")
    if not STRATEGYQA.exists():
        pytest.skip("the shared StrategyQA sample is not on this machine")
    planner = FakeOpenAIServer(lambda request: _planner(request.get("prompt", "")))
    grounder = FakeOpenAIServer(lambda request: _planner(request.get("prompt", "")))
    qa = FakeOpenAIServer(_qa_reply)
    scores = {}
    with planner, grounder, qa:
        for protocol in ("paper", "lumos"):
            out = tmp_path / protocol
            result = CliRunner().invoke(app, [
                "eval", "strategyqa", "--data", str(STRATEGYQA), "--limit", "2", "--no-progress",
                "--method", "lumos-iterative", "--protocol", protocol, "--out", str(out),
                "--backend", "openai", "--base-url", planner.base_url, "--ground-base-url", grounder.base_url,
                "--plan-model", "ai2lumos/lumos_complex_qa_plan_iterative",
                "--ground-model", "ai2lumos/lumos_complex_qa_ground_iterative",
                "--qa-model", "gpt-qa", "--qa-base-url", qa.base_url, "--index", str(index_dir),
            ])
            assert result.exit_code == 0, result.output
            metrics = json.loads((out / "metrics.json").read_text())
            assert metrics["protocol"] == protocol
            scores[protocol] = metrics["accuracy"]
            config = json.loads((out / "config.json").read_text())
            assert config["style"] == "reference" and config["qa_model"] == "gpt-qa"
    # the first two sample questions are true: the final QA call says yes, the sub-question said no
    assert scores == {"paper": 1.0, "lumos": 0.0}
    prompts = [r["prompt"] for r in planner.requests]
    assert all(p.startswith("<|user|>\nPlease provide a reasonable") for p in prompts)  # reference, Tulu
    assert all(r["prompt"].startswith("<|user|>\nPlease ground") for r in grounder.requests)
    assert {r["model"] for r in grounder.requests} == {"ai2lumos/lumos_complex_qa_ground_iterative"}
    assert {r["max_tokens"] for r in planner.requests[:4]} == {512}
    asked = [r["messages"][-1]["content"] for r in qa.requests]
    assert all(r["model"] == "gpt-qa" for r in qa.requests)
    finals = [a for a in asked if "Must answer yes/no." in a]
    assert len(finals) == 2 and all("Question: Is the sky green? Answer: no" in a for a in finals)


@pytest.mark.skipif(not STRATEGYQA.exists(), reason="the shared StrategyQA sample is not on this machine")
def test_paper_protocol_on_the_fake_backend_with_a_separate_qa_model(tmp_path: Path, index_dir: Path) -> None:
    pytest.importorskip("sentence_transformers", reason="the QA tools' dense re-ranking: pip install 'lumos-agents[qa]'")
    agent_script = tmp_path / "agent.json"
    agent_script.write_text(json.dumps([
        "Subgoal 1: Ask whether the sky is green.",
        "R1 = QA([], Question: Is the sky green?)",
        "Yes, I will stop planning.",
    ]))
    qa_script = tmp_path / "qa.json"
    qa_script.write_text(json.dumps(["no", "yes"]))
    out = tmp_path / "run"
    result = CliRunner().invoke(app, [
        "eval", "strategyqa", "--data", str(STRATEGYQA), "--limit", "1", "--no-progress",
        "--method", "lumos-iterative", "--protocol", "paper", "--out", str(out), "--backend", "fake",
        "--model", str(agent_script), "--qa-model", str(qa_script), "--index", str(index_dir),
    ])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "predictions.jsonl").read_text().splitlines()[0])
    assert record["answer"] == "yes" and record["scores"]["accuracy"] == 1.0
    assert record["trace"]["meta"]["final_qa"]["question"].endswith("? Must answer yes/no.")
    assert json.loads((out / "metrics.json").read_text())["model"].endswith("paper protocol")
