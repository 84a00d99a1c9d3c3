"""The web in-context demonstrations: well-formed annotations in the one web grammar, worded as the
teacher-free Mind2Web converter words its subgoals, on websites that are not in the demo set."""

from __future__ import annotations

from lumos.annotate.verify import Verifier
from lumos.domains.mind2web.annotate import read_repr
from lumos.domains.mind2web.tasks import load_tasks
from lumos.format.parse import parse_actions
from lumos.prompts.modules import ModulePrompts, load_examples


def test_web_demonstrations():
    examples = load_examples("web")
    assert len(examples) >= 3
    demo_sites = {t.website for t in load_tasks()}
    verifier = Verifier("web")
    for ex in examples:
        assert verifier.verify(ex).ok, ex.task
        assert len(ex.results) == len(ex.subgoals) == len(ex.actions)
        for k, (subgoal, action, result) in enumerate(
            zip(ex.subgoals, ex.actions, ex.results, strict=True), 1
        ):
            gold = read_repr(result.split(": ", 1)[1])  # "Done on SITE: [role]  name -> OP: value"
            assert result.split(":")[0].removeprefix("Done on ") not in demo_sites
            assert subgoal == gold.subgoal() and action == gold.action(k)
            [parsed] = parse_actions(action)
            assert parsed.tool in ("CLICK", "TYPE", "SELECT")
    assert (
        ModulePrompts("web", n_examples=3)
        .plan_iterative("Find a hotel in Rome.")[0]["content"]
        .startswith("Plan")
    )
