"""MiniWoB++ environment throughput: episodes per second with 1 and with 4 headless Chromiums.

Each episode is a full reset (seeded task generation) plus the scripted solver's actions through lumos's web
tools (token-overlap ranking, so no model time is counted) and a screenshot after every action, on the
tasks of the ``solvable`` suite in turn. With k browsers, k threads each drive their own browser from a
shared queue of episodes. Browser start-up is timed separately.
Usage: python benchmarks/miniwob_speed.py [--episodes 40] [--browsers 1,4] [--ranker lexical]
"""

from __future__ import annotations

import argparse
import queue
import tempfile
import threading
import time
from pathlib import Path

from lumos.domains.miniwob.env import MiniWoBPage
from lumos.domains.miniwob.pool import BrowserPool
from lumos.domains.miniwob.solver import solve
from lumos.domains.miniwob.tasks import SUITES


def run(browsers: int, episodes: int, ranker: str, out: Path) -> tuple[float, float, int]:
    """(start-up seconds, episodes per second, rewarded episodes)."""
    started = time.perf_counter()
    with BrowserPool(browsers) as pool:
        startup = time.perf_counter() - started
        tasks = SUITES["solvable"]
        todo: queue.Queue[tuple[str, int]] = queue.Queue()
        for k in range(episodes):
            todo.put((tasks[k % len(tasks)], k))
        rewarded = [0] * browsers

        def worker(i: int) -> None:
            while True:
                try:
                    task, seed = todo.get_nowait()
                except queue.Empty:
                    return
                page = MiniWoBPage(pool.browsers[i], task, seed, episode_id=f"{task}-{seed}", run_dir=out)
                page.reset()
                rewarded[i] += solve(page, ranker=ranker).accepted

        # warm-up: load the ranker and every task page once per browser, outside the timing
        for i in range(browsers):
            page = MiniWoBPage(pool.browsers[i], "click-button", 10_000)
            page.reset()
            solve(page, ranker=ranker)
        begin = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(browsers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - begin
    return startup, episodes / seconds, sum(rewarded)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--browsers", default="1,4", help="comma-separated pool sizes")
    parser.add_argument("--ranker", default="lexical", help="lexical (no model) or dense (MiniLM)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.browsers.split(",")):
            startup, rate, rewarded = run(size, args.episodes, args.ranker, Path(tmp) / str(size))
            print(
                f"browsers={size}: {rate:.2f} episodes/s over {args.episodes} episodes "
                f"({rewarded} rewarded), pool start-up {startup:.1f} s"
            )


if __name__ == "__main__":
    main()
