"""The in-context demonstrations that ship with lumos are well-formed annotations of their domain."""

from __future__ import annotations

import pytest

from lumos.annotate.verify import Verifier
from lumos.prompts.modules import ModulePrompts, load_examples


@pytest.mark.parametrize("domain", ["maths", "complex_qa"])
def test_demonstrations_pass_verification(domain: str) -> None:
    examples = load_examples(domain)
    assert len(examples) >= 3
    verifier = Verifier(domain)
    for ex in examples:
        verdict = verifier.verify(ex)
        assert verdict.ok, (ex.task, verdict.reason, verdict.message)
        assert ex.answer and ex.rationale and len(ex.results) == len(ex.subgoals)


@pytest.mark.parametrize("domain", ["maths", "complex_qa"])
def test_every_prompt_can_carry_three_demonstrations(domain: str) -> None:
    prompts = ModulePrompts(domain, n_examples=3)
    task = "Which city is the capital of the country where the Eiffel Tower stands?"
    for conv in (
        prompts.plan_iterative(task),
        prompts.plan_onetime(task),
        prompts.cot(task),
        prompts.direct(task),
    ):
        shown = " ".join(m["content"] for m in conv)
        assert all(ex.task in shown for ex in load_examples(domain))
