"""Viewer speed: write the view of N synthetic trajectories and time it opening in headless Chromium.

Each trajectory has two steps, three model calls with their exact prompt (a few-shot prefix shared by every
call) and a mix of right, wrong and failed answers. Prints the file size (and the predictions file's, for
scale), the time to write the page, and in the browser the time from navigation start to the first rendered
list and task (``window.__lumosReady``), to the load event, and to a filter and a search over every task.
Usage: python benchmarks/view_speed.py [--n 10000] [--compare] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from lumos.browser import start_chrome
from lumos.testing.runs import write_synthetic_run
from lumos.view import build_view


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="synthetic trajectories")
    ap.add_argument("--compare", action="store_true", help="two runs of N side by side")
    ap.add_argument("--repeat", type=int, default=3, help="page loads timed (the best and median are printed)")
    ap.add_argument("--keep", type=Path, help="write the runs and the page here instead of a temporary folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        runs = [write_synthetic_run(root / "run-a", args.n, seed=1)]
        if args.compare:
            runs.append(write_synthetic_run(root / "run-b", args.n, seed=2, method="cot"))
        started = time.perf_counter()
        page = build_view(runs, root / "view.html")
        written = time.perf_counter() - started
        size = page.stat().st_size
        source = sum((r / "predictions.jsonl").stat().st_size for r in runs)
        print(f"trajectories: {args.n} x {len(runs)} run(s)")
        print(f"predictions.jsonl: {source / 1e6:.1f} MB; view.html: {size / 1e6:.1f} MB ({size / source:.0%})")
        print(f"page written in {written:.2f} s")
        driver = start_chrome(width=1280, height=800)
        try:
            ready, loaded = [], []
            for _ in range(args.repeat):
                driver.get("about:blank")
                driver.get(page.resolve().as_uri())
                timing = driver.execute_script(
                    "const n = performance.getEntriesByType('navigation')[0];"
                    "return [window.__lumosReady, n.loadEventEnd, (window.__lumosErrors || []).length];"
                )
                ready.append(timing[0] / 1000)
                loaded.append(timing[1] / 1000)
                if timing[2]:
                    raise SystemExit(f"the page reported {timing[2]} error(s)")
            filtered = driver.execute_script(
                "const t = performance.now(); const s = document.getElementById('f-status');"
                "s.value = 'wrong'; s.dispatchEvent(new Event('change')); return performance.now() - t;"
            )
            search = (  # Enter searches at once (typing waits for a pause first)
                "const t = performance.now(); const s = document.getElementById('f-status');"
                "s.value = ''; s.dispatchEvent(new Event('change'));"
                "const q = document.getElementById('search'); q.value = 'crates of 17';"
                "q.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));"
                "return [performance.now() - t, document.getElementById('count').textContent];"
            )
            first_search, found = driver.execute_script(search)
            again, _ = driver.execute_script(search)
        finally:
            driver.quit()
        ready.sort()
        loaded.sort()
        print(
            f"in the browser: rendered {ready[0]:.2f} s best / {ready[len(ready) // 2]:.2f} s median after "
            f"navigation start; load event {loaded[0]:.2f} s best / {loaded[len(loaded) // 2]:.2f} s median"
        )
        print(f"filter 'wrong' over every task: {filtered:.0f} ms; search 'crates of 17' ({found}): "
              f"{first_search:.0f} ms the first time (builds the text index), {again:.0f} ms after")


if __name__ == "__main__":
    main()
