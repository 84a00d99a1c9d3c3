"""One batched call of a planning or grounding module, and reading the planner's decision."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Literal

from lumos.errors import ParseError
from lumos.format.parse import parse_decision, parse_plan
from lumos.format.types import ModelCall
from lumos.models.base import Conversation, EndCheck, Generation, GenerationParams, Model


def says_stop(text: str) -> bool:
    try:
        return parse_decision(text).stop
    except ParseError:
        return False


def generate_calls(
    module: Literal["plan", "ground"],
    model: Model,
    prompts: Sequence[Conversation],
    max_tokens: int,
    temperature: float = 0.0,
    end_check: EndCheck | None = None,
) -> tuple[list[ModelCall], float]:
    """One batched generation of a module (one line each): a :class:`ModelCall` per prompt, the call's time
    shared out among them, and the seconds it took."""
    params = GenerationParams(max_tokens=max_tokens, stop=["\n"], temperature=temperature, end_check=end_check)
    started = time.perf_counter()
    gens: list[Generation] = model.generate(prompts, params)
    seconds = time.perf_counter() - started
    if len(gens) != len(prompts):
        raise RuntimeError(
            f"{type(model).__name__} returned {len(gens)} generations for {len(prompts)} prompts"
        )
    share = seconds / len(prompts) if prompts else 0.0
    calls = [
        ModelCall(
            module=module,
            output=g.text,
            prompt_tokens=g.prompt_tokens,
            completion_tokens=g.completion_tokens,
            seconds=share,
            finish_reason=g.finish_reason,
        )
        for g in gens
    ]
    return calls, seconds


def next_subgoal(text: str, first: bool) -> str | None:
    """The planner's next subgoal, or None when it stops. Only the first subgoal of a turn is taken: a later
    one would be planned before the result it depends on."""
    if first:
        return parse_plan(text)[0].text
    decision = parse_decision(text)
    return None if decision.stop else decision.subgoals[0].text
