"""Prepare a MiniWoB++ run folder that re-runs only the episodes a set of tool changes could alter.

    python scripts/rerun_changed_episodes.py OLD_RUN NEW_RUN [--changes date-time,id] [--recheck K]

Copies OLD_RUN's config and the records of the episodes the changes cannot touch into NEW_RUN; `lumos eval`
with OLD_RUN's command and ``--out NEW_RUN`` then runs the rest with today's code. The changes (section 13):

- ``date-time``: TYPE into date and time fields (only enter-date and enter-time have them);
- ``id``: an element named by its id in the QUERY (an id counts only with a character other than a letter or
  a space, so an episode whose every QUERY is letters and spaces cannot meet it);
- ``id-context``: the id rule's refinement that a ``#id`` (a page line's context, ``(in: #ui-id-1)``) is not
  the element (only a QUERY with a ``#`` can meet it);
- ``tie``: the ranker's tie broken by an element's exact-case text (only a step whose recorded candidates
  share the top score can meet it).

Greedy decoding makes an untouched episode run as it ran; ``--recheck K`` leaves K of the untouched episodes
out as well, so the new run shows whether they come out the same (the ids are written to NEW_RUN/recheck.json).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

from lumos.domains.web_common.tools import WebArgumentError, parse_web_args

DATE_TIME_TASKS = ("enter-date", "enter-time")


def _queries(record: dict) -> list[str]:
    queries = []
    for step in record["trace"]["steps"]:
        for action in step["actions"]:
            try:
                queries.append(parse_web_args(action["args"]).query)
            except WebArgumentError:
                continue  # refused before any element is looked for
    return queries


def _date_time(record: dict) -> bool:
    return record["task"] in DATE_TIME_TASKS


def _id(record: dict) -> bool:
    return any(re.search(r"[^A-Za-z\s]", query) for query in _queries(record))


def _id_context(record: dict) -> bool:
    return any("#" in query for query in _queries(record))


def _tie(record: dict) -> bool:
    for step in record["trace"]["steps"]:
        for result in step.get("results", []):
            scores = [c["score"] for c in (result.get("details") or {}).get("candidates", [])]
            if len(scores) > 1 and scores[1] >= scores[0]:  # recorded best first, rounded
                return True
    return False


CHANGES = {"date-time": _date_time, "id": _id, "id-context": _id_context, "tie": _tie}


def touched(record: dict, changes: str = "date-time,id") -> bool:
    """Whether the named changes (comma-separated, from CHANGES) could alter this recorded episode."""
    return any(CHANGES[name](record) for name in changes.split(","))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument(
        "--changes", default="date-time,id", help=f"comma-separated, of: {', '.join(CHANGES)}"
    )
    parser.add_argument("--recheck", type=int, default=10, help="untouched episodes to run again as a check")
    args = parser.parse_args()
    unknown = set(args.changes.split(",")) - set(CHANGES)
    if unknown:
        raise SystemExit(f"unknown --changes {', '.join(sorted(unknown))}: choose from {', '.join(CHANGES)}")
    if (args.new / "predictions.jsonl").exists():
        raise SystemExit(
            f"{args.new} already has predictions: resume it with `lumos eval ... --out {args.new}`"
        )
    records = [json.loads(line) for line in (args.old / "predictions.jsonl").read_text().splitlines() if line]
    untouched = [r for r in records if not touched(r, args.changes)]
    step = max(1, len(untouched) // max(args.recheck, 1))
    recheck = {r["id"] for r in untouched[::step][: args.recheck]} if args.recheck else set()
    kept = [r for r in untouched if r["id"] not in recheck]
    args.new.mkdir(parents=True, exist_ok=True)
    shutil.copy(args.old / "config.json", args.new / "config.json")
    (args.new / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
    (args.new / "recheck.json").write_text(json.dumps(sorted(recheck), indent=1) + "\n")
    print(
        f"{len(records)} episodes: {len(records) - len(untouched)} touched, {len(recheck)} rechecked, "
        f"{len(kept)} kept -> {args.new}"
    )


if __name__ == "__main__":
    main()
