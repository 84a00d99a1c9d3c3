"""Teacher-free annotations from gold paths: phases, grounding, replay on the (fake) simulator, the annotate
pipeline with its rejection reasons, and the training files ``lumos data build --domain scienceworld`` writes."""

from __future__ import annotations

import json

import pytest

from lumos.annotate.pipeline import annotate
from lumos.data.build import build
from lumos.domains.scienceworld import sources
from lumos.domains.scienceworld.annotate import Rejected, annotate_variation, grounded, phase_of, subgoals_of
from lumos.domains.scienceworld.fake import GOLD, FakeSimulator
from lumos.domains.scienceworld.tasks import UNSEEN


def test_phases_and_subgoals() -> None:
    assert [phase_of(a) for a in ("go to kitchen", "pick up pot", "focus on water", "wait1", "examine pot", "0",
                                  "activate stove")] == ["navigate", "get", "focus", "wait", "check", "answer", "use"]
    got = subgoals_of(["open door to hallway", "go to hallway", "open door to kitchen", "go to kitchen", "look around",
                       "pick up thermometer", "open cupboard", "pick up metal pot", "focus on water",
                       "move metal pot to stove", "activate stove", *["examine water", "wait1"] * 6, "focus on steam"])
    assert [text for text, _ in got] == [
        "Go to the kitchen through the hallway and look around.",
        "Pick up thermometer, open cupboard and pick up metal pot.",
        "Focus on the water.",
        "Move metal pot to stove and activate stove.",
        "Wait while checking: examine water (part 1).",
        "Wait while checking: examine water (part 2).",
        "Focus on the steam.",
    ]
    assert [len(actions) for _, actions in got] == [5, 3, 1, 2, 10, 2, 1]
    lines = grounded(got[:2])
    assert lines[1] == 'R6 = Act(R5, "pick up thermometer"); R7 = Act(R6, "open cupboard"); R8 = Act(R7, "pick up metal pot")'
    with pytest.raises(Rejected):
        grounded([("Say it.", ['say "hi"'])])


def test_a_gold_path_becomes_a_replay_verified_annotation() -> None:
    ann = annotate_variation(FakeSimulator(), "boil", 2)
    assert ann.id == "boil-v2" and ann.source == "scienceworld" and ann.domain == "scienceworld"
    assert ann.task.startswith("Your task is to boil water") and "hallway" in ann.observation
    assert ann.subgoals[0] == "Go to the kitchen and look around."
    assert sum(len(a.split("; ")) for a in ann.actions) == len(GOLD)
    assert len(ann.results) == len(ann.subgoals) and ann.results[-1].endswith("The task has ended (score 100).")


def test_a_gold_path_that_never_scores_100_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = FakeSimulator()
    monkeypatch.setattr(sim.server, "getGoldActionSequence", lambda: list(GOLD[:-1]))
    with pytest.raises(Rejected) as caught:
        annotate_variation(sim, "boil", 0)
    assert caught.value.reason == "gold_incomplete"


def test_the_source_gives_train_variations_of_seen_task_types_only() -> None:
    items = list(sources.train_items())
    assert {t for t, _ in items}.isdisjoint(UNSEEN)
    assert items[0] == ("boil", 0) and items[1] == ("melt", 0)  # round the task types
    assert list(sources.train_items([("boil", 25), (UNSEEN[0], 0), ("boil", 1)])) == [("boil", 1)]


def test_annotate_then_data_build_gives_planner_grounder_and_flat_files(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sources, "_SIMULATOR", [FakeSimulator()])
    out = tmp_path / "ann"
    summary = annotate("scienceworld", "scienceworld", out, limit=3, progress=False)
    assert summary.kept == 3 and summary.rejected == 0
    kept = [json.loads(x) for x in (out / "annotations.jsonl").read_text().splitlines()]
    assert [k["id"] for k in kept] == ["boil-v0", "melt-v0", "freeze-v0"]
    modules = ["plan_iterative", "plan_onetime", "ground_iterative", "ground_onetime", "direct_iterative"]
    report = build([out], tmp_path / "data", heldout=0, modules=modules, domain="scienceworld")
    assert report.train["scienceworld"] == 3
    rows = {m: [json.loads(x) for x in (tmp_path / "data/train" / f"{m}.jsonl").read_text().splitlines()] for m in modules}
    assert all(len(r) == 3 for r in rows.values())
    plan = next(r for r in rows["plan_iterative"] if "boil" in r["messages"][0]["content"])["messages"]
    assert "Initial Environment Description: This room is called the hallway" in plan[0]["content"]
    assert "This room is called the kitchen" in plan[2]["content"]  # the observation the subgoal ended on
    assert plan[-1]["content"] == "Yes, I will stop planning."
    flat = rows["direct_iterative"][0]["messages"]
    assert flat[1]["content"].startswith('R1 = Act(Env, "open door to kitchen")')
    boil = next(k for k in kept if k["id"] == "boil-v0")
    assert sum(m["role"] == "assistant" for m in flat) == len(boil["actions"])  # one turn per subgoal's actions


def test_data_build_refuses_unseen_task_types(tmp_path) -> None:
    ann = annotate_variation(FakeSimulator(), "boil", 0)
    unseen = ann.model_copy(update={"id": f"{UNSEEN[0]}-v0", "task": "another task"})
    test_variation = ann.model_copy(update={"id": "boil-v25", "task": "a third task"})
    path = tmp_path / "annotations.jsonl"
    path.write_text("".join(a.model_dump_json() + "\n" for a in (ann, unseen, test_variation)))
    report = build([path], tmp_path / "data", heldout=0, domain="scienceworld",
                   modules=["plan_iterative", "ground_iterative"])
    assert report.train["scienceworld"] == 1 and report.held_out["scienceworld"] == 2
