"""Several servers of one model: requests spread over them, a server killed mid-run is taken out and its
requests answered by the others, and a run whose servers are all gone stops with a clear error."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from lumos.errors import BackendError, ConfigError
from lumos.models.base import GenerationParams, Message
from lumos.models.openai import OpenAIModel, parse_base_urls
from lumos.testing.openai_server import FakeOpenAIServer


def conv(text: str) -> list[Message]:
    return [Message(role="user", content=text)]


def fast(base_url: str, **options: Any) -> OpenAIModel:
    options = {"backoff": 0.01, "max_retries": 3, "timeout": 5.0, "server_cooldown": 60.0, **options}
    return OpenAIModel("fake-model", base_url=base_url, api_key="EMPTY", **options)


def answer(request: dict[str, Any]) -> str:
    return "echo " + request["messages"][-1]["content"]


def test_base_url_lists() -> None:
    assert parse_base_urls("http://a/v1, http://b/v1/,http://a/v1") == ["http://a/v1", "http://b/v1"]
    with pytest.raises(ConfigError, match="http://"):
        parse_base_urls("http://a/v1,ftp://b")
    with pytest.raises(ConfigError, match="cannot read"):
        parse_base_urls("@/no/such/servers.txt")


def test_a_server_list_file(tmp_path: Path) -> None:
    listing = tmp_path / "servers.txt"
    listing.write_text("# two servers\nhttp://a:8000/v1\n\nhttp://b:8000/v1  # the second\n")
    assert OpenAIModel("m", base_url=f"@{listing}").base_urls == ["http://a:8000/v1", "http://b:8000/v1"]


def test_requests_spread_and_a_server_killed_mid_run_loses_nothing() -> None:
    killed = threading.Event()
    servers: list[FakeOpenAIServer] = []
    seen = {"n": 0}
    lock = threading.Lock()

    def answer_then_kill(request: dict[str, Any]) -> str:
        with lock:
            seen["n"] += 1
            if seen["n"] == 12 and not killed.is_set():  # the middle of the run: server 1 dies
                killed.set()
                threading.Thread(target=servers[1].stop, daemon=True).start()
        return answer(request)

    def dead_after_kill(index: int, request: dict[str, Any]) -> str | None:
        return "drop" if killed.is_set() else None

    servers.extend(
        FakeOpenAIServer(answer_then_kill, faults=dead_after_kill if k == 1 else None) for k in range(3)
    )
    for server in servers:
        server.start()
    urls = ",".join(server.base_url for server in servers)
    try:
        model = fast(urls, concurrency=2)
        first = model.generate([conv(str(i)) for i in range(30)], GenerationParams())
        second = model.generate([conv(str(i)) for i in range(30, 60)], GenerationParams())
    finally:
        for server in servers:
            server.stop()
    assert [g.text for g in first + second] == [f"echo {i}" for i in range(60)]
    assert killed.is_set()
    url_a, _, url_c = urls.split(",")
    sent = model.requests_per_server
    assert all(count > 0 for count in sent.values())  # every server had its share before the kill
    assert sent[url_a] + sent[url_c] >= 45  # and the survivors took the rest


def test_when_every_server_is_gone_the_error_names_them() -> None:
    servers = [FakeOpenAIServer(answer).start() for _ in range(2)]
    urls = ",".join(server.base_url for server in servers)
    for server in servers:
        server.stop()
    model = fast(urls, max_retries=1, server_cooldown=0.05)
    with pytest.raises(BackendError, match="servers are out") as caught:
        model.generate([conv("hi")], GenerationParams())
    assert "could not connect" in str(caught.value) and urls in str(caught.value)
