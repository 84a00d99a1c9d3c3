import json
import re
import threading
from pathlib import Path

import pytest
from annotate_fixtures import GSM8K_ROWS

from lumos.annotate.convert import ConversionError
from lumos.annotate.pipeline import annotate
from lumos.annotate.sources import SourceItem
from lumos.annotate.teacher import (
    TeacherConfig,
    build_conversation,
    load_teacher_examples,
    parse_teacher_output,
    pick_examples,
)
from lumos.annotate.verify import Verifier
from lumos.models.openai import OpenAIModel
from lumos.testing.openai_server import FakeOpenAIServer

MALFORMED, WRONG, ALWAYS_FAILS, RATE_LIMITED, DROPPED, SLOW = 3, 4, 5, 6, 7, 8


def _n(request: dict) -> int:
    last = request["messages"][-1]["content"]
    return int(re.search(r"Task: A shop has (\d+) boxes", last).group(1))


def good_teacher(request: dict) -> str:
    n = _n(request)
    if n == MALFORMED:
        return "I am sorry, I cannot convert this solution."
    take = 4 if n == WRONG else 5
    return (
        f"Subgoal 1: Calculate how many apples there are.\nR1 = Calculator({n} * 6)\n\n"
        f"Subgoal 2: Calculate how many apples are left after selling some.\nR2 = Calculator(R1 - {take})"
    )


class Faults:
    """Per task: the 5-box task always fails; 6, 7 and 8 fail once (429, dropped connection, slow reply)."""

    def __init__(self) -> None:
        self.tries: dict[int, int] = {}
        self.lock = threading.Lock()

    def __call__(self, index: int, request: dict):
        n = _n(request)
        with self.lock:
            self.tries[n] = self.tries.get(n, 0) + 1
            first = self.tries[n] == 1
        if n == ALWAYS_FAILS:
            return "500"
        if first:
            return {RATE_LIMITED: "429", DROPPED: "drop", SLOW: "slow:0.3"}.get(n)
        return None


def _model(url: str) -> OpenAIModel:
    return OpenAIModel(
        "teacher",
        base_url=url,
        api_key="EMPTY",
        concurrency=1,
        max_retries=2,
        backoff=0.01,
        max_backoff=0.05,
        timeout=5,
    )


def _ids(path: Path) -> list[str]:
    return (
        [json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()]
        if path.exists()
        else []
    )


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "gsm8k.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in GSM8K_ROWS))
    return path


def test_teacher_run_with_faults_then_retry_then_cache(tmp_path, data_file):
    out = tmp_path / "out"
    cfg = TeacherConfig(concurrency=4, input_cost=1.0, output_cost=2.0)
    with FakeOpenAIServer(good_teacher, faults=Faults()) as server:
        summary = annotate(
            "maths",
            "gsm8k",
            out,
            teacher=_model(server.base_url),
            data=data_file,
            teacher_config=cfg,
            teacher_name="teacher",
            progress=False,
        )
        assert 1 < server.max_in_flight <= 4
    kept, rejected = _ids(out / "annotations.jsonl"), _ids(out / "rejected.jsonl")
    # every task is annotated, rejected with a reason, or reported as failed; nothing twice
    assert len(kept) + len(rejected) + len(summary.failed) == len(GSM8K_ROWS)
    assert len(set(kept + rejected + summary.failed)) == len(GSM8K_ROWS)
    assert summary.kept == len(GSM8K_ROWS) - 3
    assert dict(summary.reasons) == {"teacher_output": 1, "wrong_answer": 1}
    assert len(summary.failed) == 1 and _ids(out / "errors.jsonl") == summary.failed
    assert summary.usage["calls"] == len(GSM8K_ROWS) - 1 and summary.usage["prompt_tokens"] > 0
    assert summary.usage["cost"] > 0
    record = json.loads((out / "annotations.jsonl").read_text().splitlines()[0])
    assert record["results"] and record["source"] == "gsm8k"

    # the server is healthy again: only the failed task is asked for
    with FakeOpenAIServer(good_teacher) as server:
        again = annotate(
            "maths",
            "gsm8k",
            out,
            teacher=_model(server.base_url),
            data=data_file,
            teacher_config=cfg,
            teacher_name="teacher",
            progress=False,
        )
        assert len(server.requests) == 1
    assert again.kept == 1 and again.skipped == len(GSM8K_ROWS) - 1 and not again.failed
    kept = _ids(out / "annotations.jsonl")
    assert len(kept) == len(set(kept)) == len(GSM8K_ROWS) - 2

    # with the outputs gone but the cache kept, a re-run costs nothing
    (out / "annotations.jsonl").unlink()
    (out / "rejected.jsonl").unlink()
    with FakeOpenAIServer(good_teacher) as server:
        cached = annotate(
            "maths",
            "gsm8k",
            out,
            teacher=_model(server.base_url),
            data=data_file,
            teacher_config=cfg,
            teacher_name="teacher",
            progress=False,
        )
        assert server.requests == []
    assert cached.kept == len(GSM8K_ROWS) - 2 and cached.usage["cached"] == len(GSM8K_ROWS)
    assert cached.usage["cost"] == 0


def test_teacher_run_killed_part_way_resumes_without_duplicates(tmp_path, data_file):
    out = tmp_path / "out"
    seen = []

    def stop_after_four(kind: str, item_id: str) -> None:
        seen.append(item_id)
        if len(seen) == 4:
            raise KeyboardInterrupt

    with FakeOpenAIServer(good_teacher) as server:
        with pytest.raises(KeyboardInterrupt):
            annotate(
                "maths",
                "gsm8k",
                out,
                teacher=_model(server.base_url),
                data=data_file,
                teacher_config=TeacherConfig(concurrency=3),
                progress=False,
                on_item=stop_after_four,
            )
        assert len(_ids(out / "annotations.jsonl")) + len(_ids(out / "rejected.jsonl")) == 4
        summary = annotate(
            "maths",
            "gsm8k",
            out,
            teacher=_model(server.base_url),
            data=data_file,
            teacher_config=TeacherConfig(concurrency=3),
            progress=False,
        )
    assert summary.skipped == 4
    ids = _ids(out / "annotations.jsonl") + _ids(out / "rejected.jsonl")
    assert len(ids) == len(set(ids)) == len(GSM8K_ROWS)


ITEM = SourceItem(
    "x1",
    "Leah earned $28. She spent a seventh of it. How much is left?",
    "28/7 = 4, 28 - 4 = 24",
    "24",
    "gsm8k",
    "maths",
)


def test_parse_teacher_output_formats():
    text = (
        "Here is the plan:\n```\n**Subgoal 1:** Calculate how much Leah spent.\nR1 = Calculator(28 * 1/7)\n\n"
        "Subgoal 2: Calculate what is left.\nR2 = Calculator(28 - R1)\n```"
    )
    ann = parse_teacher_output(text, ITEM)
    assert ann.subgoals == ["Calculate how much Leah spent.", "Calculate what is left."]
    assert ann.actions == ["R1 = Calculator(28 * 1/7)", "R2 = Calculator(28 - R1)"]
    assert Verifier("maths").verify(ann).ok
    qa = SourceItem("q", "Who?", "", "Ann", "musique", "complex_qa")
    ann = parse_teacher_output(
        "Subgoal 1: Find out who.\nR1 = KnowledgeQuery(X)\nR2 = QA([R1], Question: Who?)\nResult: Ann", qa
    )
    assert ann.actions == ["R1 = KnowledgeQuery(X); R2 = QA([R1], Question: Who?)"] and ann.results == ["Ann"]
    for bad in ("no plan here", "Subgoal 1: Do it.\n", "Subgoal 1: Do it.\nand then just prose"):
        with pytest.raises(ConversionError) as err:
            parse_teacher_output(bad, ITEM)
        assert err.value.reason == "teacher_output"


def test_teacher_examples_are_valid_annotations():
    for ex in load_teacher_examples():
        item = SourceItem("ex", ex.task, ex.rationale, ex.answer, (ex.sources or ("x",))[0], ex.domain)
        ann = parse_teacher_output(ex.output, item)
        verdict = Verifier(ex.domain).verify(ann)
        assert verdict.ok, (ex.task, verdict.message)  # maths: executed, and gives the gold answer
    assert pick_examples("maths", "svamp", 1)[0].sources[0] == "svamp"
    conv = build_conversation(ITEM, n_examples=2)
    assert conv[0]["role"] == "system" and "Calculator" in conv[0]["content"]
    assert [m["role"] for m in conv[1:]] == ["user", "assistant", "user", "assistant", "user"]
    assert "Gold answer: 24" in conv[-1]["content"]
