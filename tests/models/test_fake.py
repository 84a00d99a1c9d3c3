"""FakeModel: scripted replies, word tokens, stop strings, recording and latency."""

from __future__ import annotations

import time

import pytest

from lumos.errors import BackendError, ConfigError
from lumos.models.base import GenerationParams, Message
from lumos.models.fake import FakeModel, first_words
from lumos.models.registry import load_model


def conv(text: str) -> list[Message]:
    return [Message(role="system", content="be brief"), Message(role="user", content=text)]


def test_queue_then_default_in_order() -> None:
    model = FakeModel(["one", "two"], default="fallback")
    model.enqueue("three").enqueue("four", "five")
    out = model.generate([conv("a"), conv("b"), conv("c")], GenerationParams())
    assert [g.text for g in out] == ["one", "two", "three"]
    assert model.remaining == 2
    out = model.generate([conv("d"), conv("e"), conv("f")], GenerationParams())
    assert [g.text for g in out] == ["four", "five", "fallback"]
    assert model.batches == [3, 3]


def test_responder_receives_the_conversation() -> None:
    model = FakeModel(responder=lambda c: c[-1]["content"].upper())
    out = model.generate([conv("hello"), conv("bye")], GenerationParams())
    assert [g.text for g in out] == ["HELLO", "BYE"]


def test_queue_takes_precedence_over_responder() -> None:
    model = FakeModel(["scripted"], responder=lambda c: "ruled")
    assert [g.text for g in model.generate([conv("x"), conv("y")], GenerationParams())] == [
        "scripted",
        "ruled",
    ]


def test_empty_queue_raises_clear_error() -> None:
    model = FakeModel(["only"])
    model.generate([conv("a")], GenerationParams())
    with pytest.raises(BackendError, match=r"no scripted reply left.*enqueue"):
        model.generate([conv("b")], GenerationParams())


def test_records_copies_of_calls() -> None:
    model = FakeModel(default="ok")
    c = conv("question")
    model.generate([c], GenerationParams(max_tokens=7))
    c[1]["content"] = "changed later"
    assert model.calls == [
        [{"role": "system", "content": "be brief"}, {"role": "user", "content": "question"}]
    ]
    assert model.last_conversation[1]["content"] == "question"
    assert model.params[0].max_tokens == 7


def test_word_tokens_stop_and_max_tokens() -> None:
    model = FakeModel(["Think: a b c\nAction: d", "w1  w2\tw3 w4 w5", "short"])
    params = GenerationParams(max_tokens=3, stop=["\nAction:"])
    out = model.generate([conv("count these four words"), conv("x"), conv("y")], params)
    assert out[0].text == "Think: a b"  # stop first (4 words left), then max_tokens cuts to 3
    assert out[0].finish_reason == "length"
    assert out[1].text == "w1  w2\tw3"  # original spacing kept
    assert (out[1].completion_tokens, out[1].finish_reason) == (3, "length")
    assert (out[2].text, out[2].finish_reason, out[2].completion_tokens) == ("short", "stop", 1)
    assert out[0].prompt_tokens == 2 + 4


def test_stop_string_truncates() -> None:
    model = FakeModel(["Subgoal 1: add.\nSubgoal 2: done."])
    (g,) = model.generate([conv("q")], GenerationParams(stop=["\nSubgoal 2"]))
    assert (g.text, g.finish_reason, g.completion_tokens) == ("Subgoal 1: add.", "stop", 3)


def test_first_words() -> None:
    assert first_words("  a b  c ", 2) == "  a b"
    assert first_words("a b", 5) == "a b"
    assert first_words("a b", 0) == ""


def test_latency_is_once_per_batch() -> None:
    model = FakeModel(default="ok", latency=0.1)
    started = time.perf_counter()
    out = model.generate([conv(str(i)) for i in range(8)], GenerationParams())
    elapsed = time.perf_counter() - started
    assert 0.1 <= elapsed < 0.5
    assert sum(g.seconds for g in out) == pytest.approx(0.1, abs=0.05)


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError):
        FakeModel("not a list")
    with pytest.raises(ConfigError):
        FakeModel(latency=-1)


def test_reset_and_empty_batch() -> None:
    model = FakeModel(["a"])
    assert model.generate([], GenerationParams()) == []
    model.reset()
    assert model.remaining == 0 and model.calls == []


def test_loaded_through_registry() -> None:
    model = load_model("fake", "planner", responses=["Subgoal 1: x"])
    assert isinstance(model, FakeModel) and model.name == "planner"
    assert model.generate([conv("q")], GenerationParams())[0].text == "Subgoal 1: x"


def test_a_continued_reply_written_whole_is_cut_to_what_follows_its_start() -> None:
    model = FakeModel(["No, I will keep planning. Subgoal 2: Click.", "Something else."])
    start: Message = {"role": "assistant", "content": "No, I will keep planning. Subgoal 2:"}
    conversation: list[Message] = [{"role": "user", "content": "Plan."}, start]
    first, second = model.generate([conversation, conversation], GenerationParams())
    assert (first.text, second.text) == (" Click.", "Something else.")


def test_a_script_file_sets_the_latency(tmp_path) -> None:
    import json

    script = tmp_path / "slow.json"
    script.write_text(json.dumps({"default": "ok", "latency": 0.25}))
    assert FakeModel(name=str(script)).latency == 0.25
    script.write_text(json.dumps({"default": "ok", "latency": -1}))
    with pytest.raises(ConfigError, match="latency"):
        FakeModel(name=str(script))
