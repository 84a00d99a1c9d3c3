"""ScienceWorld: environment speed and gold-path replay through lumos's tools.

1. Speed: with k simulators (k threads, each driving its own JVM from a shared queue of episodes), every
   episode loads a variation and plays its gold path (cut at score 100) with the ``Act`` tool. Prints the load
   seconds, the steps per second of stepping alone (per simulator), and steps and episodes per second over
   the wall time (loads included, all simulators together).
2. Gold replay: a random sample of *test* variations spread over all 30 task types; each gold path is
   segmented into subgoals, grounded as ``Act`` actions and replayed in a fresh episode
   (:func:`lumos.domains.scienceworld.annotate.annotate_variation`, what ``lumos annotate`` does); prints how
   many score 100, and every exception with its reason.

Usage: python benchmarks/scienceworld_speed.py [--simulators 1,2] [--speed-episodes 8] [--sample 240] [--seed 0]
"""

from __future__ import annotations

import argparse
import queue
import random
import threading
import time
from collections import Counter
from typing import Any

from lumos.domains.scienceworld.annotate import Rejected, annotate_variation, gold_until_done
from lumos.domains.scienceworld.env import EpisodeOptions, ScienceWorldEpisode
from lumos.domains.scienceworld.pool import SimulatorPool
from lumos.domains.scienceworld.tasks import all_tasks, variations

SPEED_TASKS = ("boil", "find-animal", "chemistry-mix", "use-thermometer", "power-component", "lifespan-longest-lived")


def speed(simulators: int, episodes: int) -> dict[str, float]:
    """Load and step times of ``episodes`` gold-path episodes over ``simulators`` JVMs."""
    work: queue.Queue[tuple[str, int]] = queue.Queue()
    for k in range(episodes):
        task = SPEED_TASKS[k % len(SPEED_TASKS)]
        work.put((task, variations(task, "train")[k // len(SPEED_TASKS)]))
    totals: Counter[str] = Counter()
    lock = threading.Lock()
    with SimulatorPool(simulators) as pool:
        # the gold paths first (the gold-path load is slower than an ordinary one, and is not timed)
        paths = {}
        for task, variation in list(work.queue):
            paths[(task, variation)] = gold_until_done(pool.simulators[0], task, variation)[0]

        def drive(index: int) -> None:
            sim = pool.simulators[index]
            while True:
                try:
                    task, variation = work.get_nowait()
                except queue.Empty:
                    return
                episode = ScienceWorldEpisode(sim, task, variation, options=EpisodeOptions(max_steps=None))
                t0 = time.perf_counter()
                episode.reset()
                t1 = time.perf_counter()
                for action in paths[(task, variation)]:
                    episode.act(action)
                    if episode.done:  # the replay may end sooner than the gold run did
                        break
                t2 = time.perf_counter()
                with lock:
                    totals["load_seconds"] += t1 - t0
                    totals["step_seconds"] += t2 - t1
                    totals["steps"] += len(episode.history)
                    totals["episodes"] += 1
                    totals["scored_100"] += episode.score >= 100

        started = time.perf_counter()
        threads = [threading.Thread(target=drive, args=(i,)) for i in range(simulators)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    return {
        "simulators": simulators,
        "episodes": totals["episodes"],
        "scored_100": totals["scored_100"],
        "load_seconds_per_episode": totals["load_seconds"] / max(totals["episodes"], 1),
        "steps_per_second_stepping": totals["steps"] / max(totals["step_seconds"], 1e-9),
        "steps_per_second_wall": totals["steps"] / wall,
        "episodes_per_second_wall": totals["episodes"] / wall,
    }


def sample(n: int, seed: int) -> list[tuple[str, int]]:
    """``n`` test variations, spread evenly over the task types (drawn at random within each)."""
    rng = random.Random(seed)
    tasks = list(all_tasks())
    per_task = {t: rng.sample(list(variations(t, "test")), len(variations(t, "test"))) for t in tasks}
    out = []
    for k in range(n):
        task = tasks[k % len(tasks)]
        pool = per_task[task]
        if pool:
            out.append((task, pool.pop()))
    return out


def replay_sample(items: list[tuple[str, int]], simulators: int) -> dict[str, Any]:
    results: list[tuple[str, int, str, int]] = []
    work: queue.Queue[tuple[str, int]] = queue.Queue()
    for item in items:
        work.put(item)
    lock = threading.Lock()
    with SimulatorPool(simulators) as pool:

        def drive(index: int) -> None:
            while True:
                try:
                    task, variation = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    ann = annotate_variation(pool.simulators[index], task, variation)
                    outcome, n = "score 100", len(ann.subgoals)
                except Rejected as exc:
                    outcome, n = f"{exc.reason}: {str(exc)[:160]}", 0
                    if not pool.healthy(index):
                        pool.restart(index)
                with lock:
                    results.append((task, variation, outcome, n))

        threads = [threading.Thread(target=drive, args=(i,)) for i in range(simulators)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    passed = [r for r in results if r[2] == "score 100"]
    return {
        "variations": len(results),
        "task_types": len({r[0] for r in results}),
        "score_100": len(passed),
        "subgoals_per_annotation": sum(r[3] for r in passed) / max(len(passed), 1),
        "seconds": wall,
        "exceptions": sorted((t, v, o) for t, v, o, _ in results if o != "score 100"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--simulators", default="1,2", help="simulator counts to time, comma-separated")
    ap.add_argument("--speed-episodes", type=int, default=8, help="gold-path episodes per speed run")
    ap.add_argument("--sample", type=int, default=240, help="test variations replayed (0: skip)")
    ap.add_argument("--replay-simulators", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print("| simulators | episodes | load s/episode | steps/s stepping (per simulator) | steps/s wall | episodes/s wall |")
    print("|---|---|---|---|---|---|")
    for k in (int(x) for x in args.simulators.split(",") if x.strip()):
        r = speed(k, args.speed_episodes)
        print(f"| {k} | {r['episodes']} ({r['scored_100']} scored 100) | {r['load_seconds_per_episode']:.2f} | "
              f"{r['steps_per_second_stepping']:.1f} | {r['steps_per_second_wall']:.1f} | "
              f"{r['episodes_per_second_wall']:.3f} |", flush=True)
    if args.sample:
        r = replay_sample(sample(args.sample, args.seed), args.replay_simulators)
        print(f"\ngold replay through Act: {r['score_100']} of {r['variations']} test variations "
              f"({r['task_types']} task types) scored 100; {r['subgoals_per_annotation']:.1f} subgoals per "
              f"annotation; {r['seconds']:.0f} s")
        for task, variation, outcome in r["exceptions"]:
            print(f"  {task} v{variation}: {outcome}")


if __name__ == "__main__":
    main()
