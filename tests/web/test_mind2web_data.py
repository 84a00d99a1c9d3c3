"""The Mind2Web loader on hand-made records in the released format, candidate rendering, the replayed page,
and the shipped demo set."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from m2w_records import flight_record, pruned_record

from lumos.domains.mind2web.tasks import Mind2WebPage, find_task, load_tasks, parse_task, render_candidates
from lumos.errors import ConfigError, ToolError


def write(path, records):
    path.write_text(json.dumps(records))
    return path


def test_loads_a_file_and_a_folder(tmp_path):
    write(tmp_path / "train_0.json", [flight_record()])
    write(tmp_path / "train_1.json", [pruned_record()])
    [one] = load_tasks(tmp_path / "train_0.json")
    assert (one.annotation_id, one.website, one.domain, one.task) == (
        "flight-1", "airline", "Travel", "Search flights from Boston for 2 adults.",
    )  # fmt: skip
    assert [(s.op, s.value, s.original_op, s.positives) for s in one.steps] == [
        ("TYPE", "Boston", "TYPE", ["10"]),
        ("SELECT", "2 adults", "SELECT", ["12"]),
        ("CLICK", "", "ENTER", ["13"]),
    ]
    assert one.steps[2].gold_action() == "CLICK" and one.steps[0].gold_action() == "TYPE Boston"
    assert [t.annotation_id for t in load_tasks(tmp_path)] == ["flight-1", "help-2"]
    assert load_tasks(tmp_path, limit=1)[0].annotation_id == "flight-1"


def test_hover_recorded_as_its_own_op_counts_as_click():
    rec = pruned_record()
    rec["actions"][0]["operation"] = {"op": "HOVER", "value": ""}
    task = parse_task(rec)
    assert task.steps[0].op == "CLICK" and task.steps[0].original_op == "HOVER"
    assert not task.steps[0].answerable and task.steps[1].answerable


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("confirmed_task"), "no 'confirmed_task'"),
        (lambda r: r["actions"][0].pop("pos_candidates"), "action 1 .* no 'pos_candidates'"),
        (lambda r: r["action_reprs"].pop(), "2 action_reprs for 3 actions"),
        (lambda r: r["actions"][1]["operation"].update(op="DRAG"), "'DRAG' is not one of"),
        (lambda r: r["actions"][0]["neg_candidates"][0].update(attributes="{oops"), "not a JSON string"),
    ],
)
def test_malformed_records_name_what_to_fix(change, message):
    rec = flight_record()
    change(rec)
    with pytest.raises(ConfigError, match=message):
        parse_task(rec, "train_0.json record 1")


def test_missing_data_and_duplicate_ids(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_tasks(tmp_path / "nope.json")
    with pytest.raises(ConfigError, match="not unique"):
        load_tasks(write(tmp_path / "x.json", [flight_record(), flight_record()]))


def test_candidates_render_from_the_cleaned_html_in_page_order():
    step = parse_task(flight_record()).steps[0]
    elements = render_candidates(step.cleaned_html, step.candidates)
    assert [e.ref for e in elements] == ["10", "11", "12", "13"]  # page order, not positives first
    button = elements[3]
    assert (button.tag, button.text, button.context) == ("button", "Search", "form Flight search")
    assert elements[0].attributes == {"type": "text", "placeholder": "From"}
    assert elements[2].text == "1 adult 2 adults"


def test_a_candidate_missing_from_the_html_keeps_its_recorded_attributes():
    [cand] = parse_task(flight_record()).steps[0].candidates[:1]
    [element] = render_candidates("<html></html>", [{**cand, "attributes": {"aria_label": "From"}}])
    assert (element.ref, element.tag, element.attributes) == ("10", "input", {"aria_label": "From"})


def test_the_page_records_the_action_and_refuses_elements_not_on_it():
    task = parse_task(flight_record())
    page = Mind2WebPage(task, 1)
    select = next(e for e in page.elements() if e.ref == "12")
    assert "2 adults" in page.act("SELECT", select, "2 adults")
    assert page.prediction is not None and (page.prediction.ref, page.prediction.value) == ("12", "2 adults")
    assert page.meta == {"annotation_id": "flight-1", "action_uid": "a2", "website": "airline", "step": 2}
    stranger = parse_task(pruned_record())
    with pytest.raises(ToolError, match="not on this page"):
        page.act("CLICK", Mind2WebPage(stranger, 0).elements()[0])
    assert "[13] <button> Search" in page.observation()


def test_find_task_by_id_or_position():
    tasks = [parse_task(flight_record()), parse_task(pruned_record())]
    assert find_task(tasks, "help-2") is tasks[1] and find_task(tasks, "0") is tasks[0]
    with pytest.raises(ConfigError, match="no Mind2Web task 'zzz'"):
        find_task(tasks, "zzz")


def test_the_demo_set_covers_what_the_issue_asks():
    tasks = load_tasks()
    steps = [s for t in tasks for s in t.steps]
    assert len(tasks) >= 12 and len({t.website for t in tasks}) >= 4
    assert all(2 <= len(t.steps) <= 6 for t in tasks)
    assert {"CLICK", "TYPE", "SELECT"} <= {s.op for s in steps}
    originals = Counter(s.original_op for s in steps)
    assert originals["HOVER"] >= 1 and originals["ENTER"] >= 1
    assert sum(not s.answerable for s in steps) == 1
    for task in tasks:  # every answerable target is among the rendered elements, with the gold op in its repr
        for i, step in enumerate(task.steps):
            refs = {e.ref for e in Mind2WebPage(task, i).elements()}
            assert set(step.positives) <= refs
            assert step.repr.split("->")[1].split(":")[0].strip() in (step.op, step.original_op)


def test_the_hub_by_name_needs_the_hub(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match=r"osunlp/Mind2Web.*--data"):
        load_tasks("osunlp/Mind2Web:train")
