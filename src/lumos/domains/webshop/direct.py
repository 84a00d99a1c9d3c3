"""The ``direct`` baseline on WebShop: the model reads each page and writes WebShop's own action.

One growing conversation per goal: the first user turn holds the instruction and the start page, then each
assistant turn is one action (``search[...]`` or ``click[...]``) and each user turn the page it led to, until
the purchase or the turn limit. In-context demonstrations are the webshop demonstrations of
``domains/webshop/examples.yaml`` replayed on lumos's demo shop: the shop actions their tools took, with the
pages the shop showed, so ``direct`` and the Lumos methods see the same solved tasks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from lumos.domains.webshop.env import Shop, WebShopEnv, open_shop
from lumos.domains.webshop.goals import Goal
from lumos.models.base import Conversation, GenerationParams, Message, Model

INTRO = (
    "You are shopping in a web shop for a customer. Each turn you see the page and write one action: "
    "search[keywords], or click[name] with one of the clickable names. Open an item, click the option values "
    "the instruction asks for, then click[buy now]."
)
PAGE_CHARS = 700
MAX_DEMONSTRATIONS = 1  # each is ~4 pages (~1,000 tokens): three pass the embedded model's 3,072-token context
ACTION = re.compile(r"(search|click)\s*\[[^\]\n]+\]", re.I)
OnDone = Callable[[Goal, WebShopEnv, Any, str | None], None]


def page_turn(env: WebShopEnv, first: bool) -> str:
    """What the model sees of the current page (the instruction too on the first turn)."""
    page = env.observation.split(" [SEP] ", 2)[-1][:PAGE_CHARS]
    text = f"Page: {page}\nClickable: {', '.join(env.clickables)}\nAction:"
    return f"{INTRO}\nInstruction: {env.goal.instruction}\n{text}" if first else text


@cache
def shop_actions_of_demonstrations(ranker: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(task, the shop actions its tools took) for each webshop demonstration, replayed on the demo shop."""
    from lumos.agent.agent import Agent, AgentConfig
    from lumos.models.fake import FakeModel
    from lumos.prompts.modules import load_examples

    shop = open_shop()
    out = []
    for ex in load_examples("webshop"):
        plan = FakeModel(
            [f"Subgoal {k + 1}: {s}" if k == 0 else f"No, I will keep planning. Subgoal {k + 1}: {s}"
             for k, s in enumerate(ex.subgoals)] + ["Yes, I will stop planning."]
        )
        env = shop.env(Goal(0, "", ex.task, [], [], 1e6, "", "", "", ""))
        Agent(plan, FakeModel(list(ex.actions)), AgentConfig(domain="webshop"), tool_options={"ranker": ranker}).run(
            [ex.task], envs=[env]
        )
        out.append((ex.task, tuple(env.history)))
    return tuple(out)


def demonstrations(n: int, ranker: str) -> list[Message]:
    """The first ``n`` demonstrations as complete earlier conversations of pages and shop actions."""
    shop = open_shop()
    msgs: list[Message] = []
    for task, actions in shop_actions_of_demonstrations(ranker)[:n]:
        env = shop.env(Goal(0, "", task, [], [], 1e6, "", "", "", ""))
        for k, action in enumerate(actions):
            msgs.append({"role": "user", "content": page_turn(env, first=k == 0)})
            msgs.append({"role": "assistant", "content": action})
            env.step(action)
    return msgs


def run_direct(
    model: Model, shop: Shop, goals: Sequence[Goal], max_turns: int, done: OnDone, n_examples: int = 0,
    ranker: str = "dense",
) -> None:
    """All goals of the batch together, one action per turn each."""
    shots = demonstrations(min(n_examples, MAX_DEMONSTRATIONS), ranker) if n_examples else []
    envs = [shop.env(g) for g in goals]
    convs: list[Conversation] = [[*shots, {"role": "user", "content": page_turn(env, True)}] for env in envs]
    params = GenerationParams(max_tokens=32, stop=["\n"], temperature=0.0)
    active = list(range(len(goals)))
    for _ in range(max_turns):
        if not active:
            break
        outputs = model.generate([convs[i] for i in active], params)
        still = []
        for i, gen in zip(active, outputs, strict=True):
            match = ACTION.search(gen.text)
            action = match.group(0) if match else gen.text.strip()
            envs[i].step(action)
            if envs[i].done:
                done(goals[i], envs[i], None, None)
                continue
            convs[i] = [*convs[i], {"role": "assistant", "content": action},
                        {"role": "user", "content": page_turn(envs[i], False)}]
            still.append(i)
        active = still
    for i in active:
        done(goals[i], envs[i], None, "no purchase within the turn limit")
