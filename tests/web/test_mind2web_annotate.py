"""Teacher-free Mind2Web annotation: one subgoal and one web action per gold action, kept only when replay
picks the target from the QUERY; rejected with the reason otherwise."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from m2w_records import flight_record, pruned_record
from typer.testing import CliRunner

from lumos.annotate.verify import Verifier
from lumos.cli.main import app
from lumos.domains.mind2web import annotate as mind2web_annotate
from lumos.domains.mind2web.annotate import ReplayRejected, annotate_task, annotation_of, read_repr, replay
from lumos.domains.mind2web.tasks import parse_task
from lumos.format.parse import parse_actions


class FirstElement:
    """A ranker that always prefers the first element of the page."""

    def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
        return [1.0] + [0.0] * (len(passages) - 1)


def test_reprs_become_subgoals_and_actions_in_the_one_grammar():
    ann = annotation_of(parse_task(flight_record()))
    assert ann.subgoals == [
        'Type "Boston" in the From textbox.',
        'Select "2 adults" in the passengers combobox.',
        "Press Enter in the Search button.",
    ]
    assert ann.actions == [
        "R1 = TYPE(Env, QUERY: the From textbox, TEXT: Boston)",
        "R2 = SELECT(R1, QUERY: the passengers combobox, TEXT: 2 adults)",
        "R3 = CLICK(R2, QUERY: the Search button)",
    ]
    assert [a.tool for text in ann.actions for a in parse_actions(text)] == ["TYPE", "SELECT", "CLICK"]
    assert (ann.domain, ann.source, ann.id) == ("web", "mind2web", "flight-1")
    assert Verifier("web").verify(ann).ok


def test_read_repr_shapes():
    hover = read_repr("[link]  Travel info -> HOVER")
    assert (hover.op, hover.original_op, hover.subgoal()) == (
        "CLICK",
        "HOVER",
        "Hover over the Travel info link.",
    )
    assert read_repr("[svg]   -> CLICK").target == "the svg"
    with pytest.raises(ValueError, match="is not"):
        read_repr("click the thing")


def test_replay_keeps_an_annotation_whose_queries_find_the_targets():
    ann = annotate_task(parse_task(flight_record()), ranker="lexical")
    assert len(ann.results) == 3 and "[10]" in ann.results[0] and "Boston" in ann.results[0]


def test_replay_rejects_with_the_reason():
    with pytest.raises(ReplayRejected, match=r"step 1 .* pruned") as info:
        annotate_task(parse_task(pruned_record()), ranker="lexical")
    assert info.value.reason == "no_positive"
    task = parse_task(flight_record())
    with pytest.raises(ReplayRejected, match=r"step 2 .* picked \[10\]") as info:
        annotate_task(task, ranker=FirstElement())
    assert info.value.reason == "wrong_element"
    wrong_text = annotation_of(task).model_copy(
        update={
            "actions": [
                "R1 = TYPE(Env, QUERY: the From textbox, TEXT: Bostn)",
                *annotation_of(task).actions[1:],
            ]
        }
    )
    with pytest.raises(ReplayRejected) as info:
        replay(task, wrong_text, ranker="lexical")
    assert info.value.reason == "wrong_action"


def test_lumos_annotate_web_mind2web(tmp_path):
    data = tmp_path / "train_0.json"
    data.write_text(json.dumps([flight_record(), pruned_record()]))
    out = tmp_path / "ann"
    args = ["annotate", "--domain", "web", "--source", "mind2web", "--data", str(data), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--ranker", "lexical", "--no-progress"])
    assert result.exit_code == 0, result.output
    [kept] = [json.loads(x) for x in (out / "annotations.jsonl").read_text().splitlines()]
    [rejected] = [json.loads(x) for x in (out / "rejected.jsonl").read_text().splitlines()]
    assert kept["id"] == "flight-1" and kept["actions"][0].startswith(
        "R1 = TYPE(Env, QUERY: the From textbox"
    )
    assert (rejected["id"], rejected["reason"]) == ("help-2", "no_positive")
    assert "pruned" in rejected["message"]
    assert mind2web_annotate.DEFAULT_RANKER == "dense"  # --ranker is an argument, not module state it overwrites
