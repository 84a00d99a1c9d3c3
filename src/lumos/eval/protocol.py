"""Evaluation protocols: lumos's own (the default) and the paper's (``lumos eval --protocol paper``).

The paper's protocol (Yin et al. 2023, and the released evaluation code of the Lumos checkpoints):

* subgoal limits per benchmark: GSM8K 8, SVAMP 2, HotpotQA and StrategyQA 5; 512 new tokens per output;
* maths: a failed action makes the example wrong, and the answer (the last result) is compared as an exact
  string after normalising numbers (``18.0`` = ``18``, ``1,000`` = ``1000``; ``18 apples`` is not ``18``);
* complex QA, Lumos-I: when the planner stops, one QA call over all QA results with the original question
  gives the answer (StrategyQA adds " Must answer yes/no.");
* StrategyQA: "yes" anywhere in the answer counts as true, anything else as false;
* HotpotQA: exact match, and the LLM judge's accuracy where a judge model is given;
* no early stop of a task that repeats itself (lumos's ``stop_when_stuck``): the paper's code runs every task
  until the planner stops or the subgoal limit; and no early end of a grounder output that repeats one action
  (lumos's ``end_repeated_actions``): it runs to its token limit.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from lumos.errors import ConfigError

PROTOCOLS = ("lumos", "paper")
PAPER_SUBGOAL_LIMITS = {"gsm8k": 8, "svamp": 2, "hotpotqa": 5, "strategyqa": 5}
PAPER_MAX_TOKENS = 512
PAPER_FINAL_QA = {"hotpotqa": "{task}", "strategyqa": "{task} Must answer yes/no."}


@dataclass(frozen=True)
class EvalProtocol:
    """How one benchmark is run and scored. Empty/None fields keep lumos's own behaviour."""

    name: str = "lumos"
    max_rounds: int | None = None
    max_tokens: int | None = None
    failed_action_wrong: bool = False
    exact_number_string: bool = False
    final_qa: str = ""
    """Lumos-I: the question of one last QA call over every QA result (``{task}``: the task); empty: none."""
    yes_means_true: bool = False
    stop_when_stuck: int | None = None
    """Lumos-I's early stop of a task that repeats itself (None: as configured; 0: never)."""
    end_repeated_actions: int | None = None
    """The early end of a grounder output that repeats one action (None: as configured; 0: never)."""

    def agent_overrides(self, method: str) -> dict[str, Any]:
        """AgentConfig values this protocol sets for ``method`` (None: leave as configured)."""
        iterative = method == "lumos-iterative"
        return {
            "max_rounds": self.max_rounds,
            "plan_max_tokens": self.max_tokens,
            "ground_max_tokens": self.max_tokens,
            "final_qa": self.final_qa if iterative and self.final_qa else None,
            "stop_when_stuck": self.stop_when_stuck,
            "end_repeated_actions": self.end_repeated_actions,
        }

    def score(self, answer_type: str, answer: str | None, gold: Any) -> dict[str, float] | None:
        """The protocol's own score of a prediction, or None to score it the benchmark's usual way."""
        if self.exact_number_string and answer_type == "number":
            same = answer is not None and normalise_number(answer) == normalise_number(str(gold))
            return {"accuracy": float(same)}
        if self.yes_means_true and answer_type == "yesno":
            said = "true" if answer is not None and "yes" in answer.lower() else "false"
            return {"accuracy": float(said == str(gold).strip().lower())}
        return None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def get_protocol(name: str, benchmark: str) -> EvalProtocol:
    """The settings of protocol ``name`` for ``benchmark``."""
    if name == "lumos":
        return EvalProtocol()
    if name != "paper":
        raise ConfigError(f"unknown protocol {name!r}; choose one of: {', '.join(PROTOCOLS)}")
    return EvalProtocol(
        name="paper",
        max_rounds=PAPER_SUBGOAL_LIMITS.get(benchmark),
        max_tokens=PAPER_MAX_TOKENS,
        failed_action_wrong=benchmark in ("gsm8k", "svamp"),
        exact_number_string=benchmark in ("gsm8k", "svamp"),
        final_qa=PAPER_FINAL_QA.get(benchmark, ""),
        yes_means_true=benchmark == "strategyqa",
        stop_when_stuck=0,
        end_repeated_actions=0,
    )


_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def normalise_number(text: str) -> str:
    """``" 1,000.0."`` -> ``"1000"``; ``"0.50"`` -> ``"0.5"``; a text that is not a number stays as it is
    (stripped, without a trailing full stop)."""
    text = text.strip()
    if text.endswith("."):
        text = text[:-1].rstrip()
    plain = text.replace(",", "").lstrip("$")
    if not _NUMBER.match(plain):
        return text
    value = float(plain)
    return str(int(value)) if value.is_integer() else repr(round(value, 6))
