"""The real simulator (Java): episodes, crashes replaced by the pool, and no JVM left behind after SIGTERM,
Ctrl-C or a killed parent. Skipped, naming the install command, without Java or the scienceworld package."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lumos.domains.scienceworld.env import ScienceWorldEpisode
from lumos.domains.scienceworld.simulator import Simulator, SimulatorCrashedError, live_pids

pytestmark = pytest.mark.slow

SRC = str(Path(__file__).resolve().parents[3] / "src")


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) is not running
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids: list[int], seconds: float = 20) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(running(p) for p in pids):
        time.sleep(0.2)
    return [p for p in pids if running(p)]


def test_a_real_episode_plays_its_gold_path_to_100(simulator: Simulator) -> None:
    ep = ScienceWorldEpisode(simulator, "boil", 0, gold=True)
    assert "boil water" in ep.reset()
    assert "hallway" in ep.observation()
    score = 0
    for action in ep.gold_actions():
        step = ep.act(action)
        score = step.score
        if step.done:
            break
    assert score == 100 and ep.result().reason == "completed"


@pytest.mark.usefixtures("needs_scienceworld")
def test_a_killed_jvm_fails_its_episode_and_the_pool_replaces_it() -> None:
    from lumos.domains.scienceworld.pool import SimulatorPool

    with SimulatorPool(1) as pool:
        sim = pool.simulators[0]
        ep = ScienceWorldEpisode(sim, "find-animal", 0)
        ep.reset()
        os.killpg(sim.pid, signal.SIGKILL)
        sim.proc.wait()
        with pytest.raises(SimulatorCrashedError):
            ep.act("look around")
        assert ep.result().error and not pool.healthy(0)
        fresh = pool.restart(0)
        again = ScienceWorldEpisode(fresh, "find-animal", 0)
        again.reset()
        assert again.act("look around").observation and pool.restarts == 1
        pids = [fresh.pid]
    assert wait_gone(pids) == [] and pids[0] not in live_pids()


SCRIPT = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal: a background job ignores SIGINT
from lumos.domains.scienceworld.pool import SimulatorPool
pool = SimulatorPool(2)
print(" ".join(str(s.pid) for s in pool.simulators), flush=True)
time.sleep(600)
"""


@pytest.mark.usefixtures("needs_scienceworld")
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "SIGKILL"])
def test_no_java_process_survives_its_parent(how: str) -> None:
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2 and all(running(p) for p in pids)
        proc.send_signal(getattr(signal, how))
        proc.wait(timeout=60)
        assert wait_gone(pids) == [], f"JVMs left after {how}"
    finally:
        if proc.poll() is None:
            proc.kill()
