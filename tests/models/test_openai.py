"""OpenAIModel against the loopback fake server: order, concurrency, retries and clear errors."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from lumos.errors import BackendError, ConfigError
from lumos.models.base import GenerationParams, Message
from lumos.models.openai import OpenAIModel
from lumos.testing.openai_server import FakeOpenAIServer, Fault, serve_fake_openai


def conv(text: str) -> list[Message]:
    return [Message(role="user", content=text)]


def fast(base_url: str, **options: Any) -> OpenAIModel:
    options = {"backoff": 0.01, "max_retries": 3, "timeout": 5.0, **options}
    return OpenAIModel("fake-model", base_url=base_url, api_key="EMPTY", **options)


def test_results_in_input_order_under_concurrency() -> None:
    def slow_first(request: dict[str, Any]) -> str:
        i = int(request["messages"][-1]["content"])
        time.sleep(0.02 * (12 - i) % 0.25)  # early requests finish late
        return f"answer {i}"

    with FakeOpenAIServer(slow_first) as server:
        model = fast(server.base_url, concurrency=4)
        out = model.generate([conv(str(i)) for i in range(12)], GenerationParams())
    assert [g.text for g in out] == [f"answer {i}" for i in range(12)]
    assert 1 < server.max_in_flight <= 4
    assert all(g.prompt_tokens == 1 and g.completion_tokens == 2 for g in out)


def test_request_carries_params_and_responder_sees_full_json() -> None:
    seen: list[dict[str, Any]] = []

    def record(request: dict[str, Any]) -> str:
        seen.append(request)
        return "ok"

    with serve_fake_openai(record) as url:
        fast(url).generate([conv("hi")], GenerationParams(max_tokens=9, temperature=0.5, seed=7, stop=["X"]))
    assert seen[0]["model"] == "fake-model"
    assert seen[0]["messages"] == [{"role": "user", "content": "hi"}]
    assert (seen[0]["max_tokens"], seen[0]["temperature"], seen[0]["seed"], seen[0]["stop"]) == (
        9,
        0.5,
        7,
        ["X"],
    )


def test_stop_strings_first_four_sent_all_applied() -> None:
    stops = ["<a>", "<b>", "<c>", "<d>", "STOP5"]
    with FakeOpenAIServer(["keep this STOP5 not this", "x <c> y"]) as server:
        out = fast(server.base_url, concurrency=1).generate(
            [conv("1"), conv("2")], GenerationParams(stop=stops)
        )
    assert server.requests[0]["stop"] == stops[:4]
    assert [g.text for g in out] == ["keep this ", "x "]
    assert all(g.finish_reason == "stop" for g in out)


def test_length_finish_reason() -> None:
    with serve_fake_openai(["one two three four five"]) as url:
        (g,) = fast(url).generate([conv("q")], GenerationParams(max_tokens=2))
    assert (g.text, g.finish_reason, g.completion_tokens) == ("one two", "length", 2)


def test_retries_recover_from_429_500_drop_malformed_and_slow() -> None:
    faults = ["429", "500", "drop", "malformed", "503", "slow:1.0"]
    with FakeOpenAIServer(faults=faults) as server:
        model = fast(server.base_url, concurrency=2, max_retries=4, timeout=0.5)
        out = model.generate([conv(f"q{i}") for i in range(4)], GenerationParams())
    assert [g.text for g in out] == [f"echo: q{i}" for i in range(4)]
    assert len(server.requests) == 4 + len(faults)


def test_retry_after_is_respected() -> None:
    with FakeOpenAIServer(faults=[Fault.http(429, retry_after=0.4)]) as server:
        started = time.perf_counter()
        (g,) = fast(server.base_url).generate([conv("q")], GenerationParams())
        elapsed = time.perf_counter() - started
    assert g.text == "echo: q"
    assert elapsed >= 0.4


def test_gives_up_after_max_retries() -> None:
    with FakeOpenAIServer(faults=lambda i, r: "500") as server:
        with pytest.raises(BackendError, match=r"failed after 3 tries: HTTP 500"):
            fast(server.base_url, max_retries=2).generate([conv("q")], GenerationParams())
        assert len(server.requests) == 3


def test_wrong_url_fails_fast_and_names_it() -> None:
    with serve_fake_openai() as url:
        port = url.split(":")[2].split("/")[0]
    dead = f"http://127.0.0.1:{port}/v1"  # the server is gone: connection refused
    started = time.perf_counter()
    with pytest.raises(
        BackendError, match=r"could not connect to http://127\.0\.0\.1:\d+/v1.*server running"
    ):
        fast(dead, max_retries=2).generate([conv("q")], GenerationParams())
    assert time.perf_counter() - started < 5


def test_wrong_key_is_a_clear_error() -> None:
    with serve_fake_openai(api_key="sk-right") as url:
        with pytest.raises(BackendError, match=r"rejected the API key \(HTTP 401"):
            OpenAIModel("m", base_url=url, api_key="sk-wrong", backoff=0.01).generate(
                [conv("q")], GenerationParams()
            )
        ok = OpenAIModel("m", base_url=url, api_key="sk-right").generate([conv("q")], GenerationParams())
    assert ok[0].text == "echo: q"


def test_api_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve_fake_openai(api_key="sk-env") as url:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        model = OpenAIModel("m")
        assert model.base_url == url
        assert model.generate([conv("q")], GenerationParams())[0].text == "echo: q"


def test_404_says_model_or_url() -> None:
    with serve_fake_openai(models=["planner", "grounder"]) as url:
        with pytest.raises(
            BackendError, match=r"model 'fake-model' was not found.*serves: planner, grounder"
        ):
            fast(url).generate([conv("q")], GenerationParams())
        with pytest.raises(BackendError, match=r"was not found \(HTTP 404.*ends in /v1"):
            OpenAIModel("planner", base_url=url.removesuffix("/v1")).generate([conv("q")], GenerationParams())


def test_completions_endpoint_uses_tulu_prompt() -> None:
    with FakeOpenAIServer(["Subgoal 1: x"]) as server:
        (g,) = fast(server.base_url, use_chat=False).generate([conv("solve")], GenerationParams())
    assert g.text == "Subgoal 1: x"
    assert server.paths == ["/v1/completions"]
    assert server.requests[0]["prompt"] == "<|user|>\nsolve\n<|assistant|>\n"


def test_works_inside_a_running_event_loop() -> None:
    async def main() -> list[str]:
        with serve_fake_openai() as url:
            model = fast(url)
            sync = model.generate([conv("a")], GenerationParams())
            native = await model.agenerate([conv("b")], GenerationParams())
        return [sync[0].text, native[0].text]

    assert asyncio.run(main()) == ["echo: a", "echo: b"]


def test_bad_options() -> None:
    with pytest.raises(ConfigError):
        OpenAIModel("m", base_url="localhost:8000/v1")
    with pytest.raises(ConfigError):
        OpenAIModel("m", base_url="http://x/v1", concurrency=0)
    assert OpenAIModel("m", base_url="http://x/v1").generate([], GenerationParams()) == []


def test_a_final_assistant_message_is_continued() -> None:
    start: Message = {"role": "assistant", "content": "No, I will keep planning. Subgoal 2:"}
    with FakeOpenAIServer([" Click.", " Type."]) as server:
        chat = fast(server.base_url).generate([[*conv("plan"), start]], GenerationParams())
        text = fast(server.base_url, use_chat=False).generate([[*conv("plan"), start]], GenerationParams())
    assert (chat[0].text, text[0].text) == (" Click.", " Type.")
    asked_chat, asked_text = server.requests
    assert asked_chat["messages"][-1] == dict(start)
    assert (asked_chat["continue_final_message"], asked_chat["add_generation_prompt"]) == (True, False)
    assert asked_text["prompt"] == "<|user|>\nplan\n<|assistant|>\nNo, I will keep planning. Subgoal 2:"
