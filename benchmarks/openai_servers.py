"""Requests/s through OpenAIModel over 1 and 3 fake OpenAI servers, each serving one request at a time.

Each fake server holds a lock for ``--latency`` seconds per request (a stand-in for a GPU server at its
throughput limit), so one server gives about 1/latency requests/s; the figure to read is how close 3
servers come to 3x that. A second run stops one of the 3 servers halfway and counts what was lost (nothing
should be). Usage: python benchmarks/openai_servers.py [--requests 120] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

from lumos.models.base import GenerationParams, Message
from lumos.models.openai import OpenAIModel
from lumos.testing.openai_server import FakeOpenAIServer


def one_at_a_time(latency: float) -> Any:
    lock = threading.Lock()

    def respond(request: dict[str, Any]) -> str:
        with lock:
            time.sleep(latency)
        return "ok " + request["messages"][-1]["content"]

    return respond


def run(n_servers: int, requests: int, latency: float, kill_one: bool = False) -> tuple[float, int]:
    killed = threading.Event()
    servers = [
        FakeOpenAIServer(
            one_at_a_time(latency), faults=(lambda i, r: "drop" if killed.is_set() else None) if k == 0 else None
        ).start()
        for k in range(n_servers)
    ]
    urls = ",".join(s.base_url for s in servers)
    model = OpenAIModel("fake", base_url=urls, concurrency=4, backoff=0.01, server_cooldown=60)
    batch = [[Message(role="user", content=str(i))] for i in range(requests)]
    try:
        started = time.perf_counter()
        half = requests // 2
        out = model.generate(batch[:half], GenerationParams(max_tokens=4))
        if kill_one:
            killed.set()
            servers[0].stop()
        out += model.generate(batch[half:], GenerationParams(max_tokens=4))
        seconds = time.perf_counter() - started
    finally:
        for s in servers:
            s.stop()
    right = sum(g.text == f"ok {i}" for i, g in enumerate(out))
    return requests / seconds, requests - right


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=120)
    ap.add_argument("--latency", type=float, default=0.05, help="seconds each fake server spends per request")
    args = ap.parse_args()
    for n, kill in ((1, False), (3, False), (3, True)):
        rate, lost = run(n, args.requests, args.latency, kill)
        what = f"{n} server{'s' if n > 1 else ''}" + (", one stopped halfway" if kill else "")
        print(f"{what:<32}{rate:8.1f} requests/s   lost {lost} of {args.requests}")


if __name__ == "__main__":
    main()
