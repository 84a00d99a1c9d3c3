"""The conversations each module sees, in one place for inference and for training data.

Every builder takes a (possibly partial) annotation: given the subgoals, actions and results produced so
far it returns the conversation that ends with the user turn the module must answer next; given a complete
annotation (``final=True``) it returns the whole supervised conversation. The agent and ``lumos data build``
both call these, so what a module is trained on and what it is asked at inference cannot drift apart.

The layout follows the released Lumos checkpoints (single-line outputs; ``Task: ...``; ``Subgoal to be
grounded: ...``; the planner answers "Yes, I will stop planning." or "No, I will keep planning. Subgoal k:
..." after each result); the instruction sentences are lumos's own and can be replaced by a YAML file
(:meth:`PromptStyle.from_yaml`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from lumos.errors import ConfigError
from lumos.format.parse import GO_ON_SENTENCE, STOP_SENTENCE
from lumos.format.types import Annotation
from lumos.models.base import Message


@dataclass(frozen=True)
class PromptStyle:
    """The wording of every module prompt. ``{...}`` fields are filled in by the builders."""

    plan_iterative: str = (
        "Plan how to solve the task below, one subgoal at a time. Write the first subgoal as "
        "'Subgoal 1: ...'; after each result, say whether to stop, and if not, give the next subgoal."
    )
    plan_onetime: str = (
        "Plan how to solve the task below as a list of subgoals on one line: "
        "'Subgoal 1: ...; Subgoal 2: ...'. Each subgoal is one small step that a tool can carry out."
    )
    task: str = "Task: {task}; Initial Environment Description: None."
    result: str = "The result of Subgoal {index} is {result}. Should we stop planning?"
    ground: str = (
        "Turn the subgoal into executable actions, written 'R1 = Tool(arguments)' and separated by '; '. "
        "Later actions may use earlier results R1, R2, ... Use only the tools in this list: {tool_names}.\n"
        "{tool_descriptions}"
    )
    ground_task: str = "Task: {task}"
    ground_subgoal: str = "Subgoal to be grounded: {subgoal}"
    ground_subgoals: str = "Subgoals to be grounded: {subgoals}"
    ground_context: str = " Results so far: {results}."
    direct: str = "Answer the question. Reply with the final answer only.\nQuestion: {task}"
    cot: str = "Solve the problem step by step. End with 'The answer is X.'\nQuestion: {task}"
    cot_answer: str = "{rationale} The answer is {answer}."
    integrated: str = (
        "Solve the task. Write each subgoal as 'Subgoal k: ...' on its own line, followed by a line with its "
        "actions 'R1 = Tool(arguments); ...'. Use only these tools: {tool_names}.\n{tool_descriptions}\n"
        "Task: {task}"
    )

    @classmethod
    def from_yaml(cls, path: str | Path) -> PromptStyle:
        data = yaml.safe_load(Path(path).read_text())
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a prompt style file must be a mapping of field: text")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{path}: unknown prompt fields {unknown}; known: {sorted(known)}")
        return replace(cls(), **{k: str(v) for k, v in data.items()})


def tool_descriptions(domain: str) -> tuple[str, str]:
    """(names, one line per tool) for the grounding prompt of ``domain``."""
    from lumos.tools.base import registry

    names = registry.domain(domain)
    classes = [registry.get(n) for n in names]
    return ", ".join(names), "\n".join(f"{c.signature}: {c.description}" for c in classes)


@cache
def load_examples(domain: str) -> tuple[Annotation, ...]:
    """The in-context demonstrations shipped for ``domain`` (none for a domain without a file)."""
    path = resources.files("lumos.prompts").joinpath("examples", f"{domain}.yaml")
    if not path.is_file():
        return ()
    return tuple(Annotation(domain=domain, **item) for item in yaml.safe_load(path.read_text()))


def _subgoal(index: int, text: str) -> str:
    return f"Subgoal {index}: {text}"


class ModulePrompts:
    """Builds module conversations for one domain, optionally preceded by ``n_examples`` demonstrations."""

    def __init__(self, domain: str = "maths", style: PromptStyle | None = None, n_examples: int = 0) -> None:
        self.domain = domain
        self.style = style or PromptStyle()
        examples = load_examples(domain)
        if n_examples > len(examples):
            raise ConfigError(f"{n_examples} in-context examples asked for, but {domain} has {len(examples)}")
        self.examples = examples[:n_examples]
        self._tool_names, self._tool_lines = tool_descriptions(domain)

    def _demos(self, wanted: bool, build: Callable[[Annotation], list[Message]]) -> list[Message]:
        """The in-context demonstrations, each rendered by ``build`` as complete earlier turns."""
        return [m for ex in self.examples for m in build(ex)] if wanted else []

    # ------------------------------------------------------------------------------------ planning

    def plan_iterative(
        self,
        task: str,
        subgoals: Sequence[str] = (),
        results: Sequence[str] = (),
        final: bool = False,
        demos: bool = True,
    ) -> list[Message]:
        """User: task; then per subgoal the planner's turn and the result turn; ``final`` adds the stop."""
        shots = self._demos(
            demos, lambda ex: self.plan_iterative(ex.task, ex.subgoals, ex.results, True, False)
        )
        s = self.style
        msgs: list[Message] = [
            {"role": "user", "content": f"{s.plan_iterative}\n{s.task.format(task=task.strip())}"}
        ]
        for k, subgoal in enumerate(subgoals):
            said = _subgoal(k + 1, subgoal)
            msgs.append({"role": "assistant", "content": said if k == 0 else f"{GO_ON_SENTENCE} {said}"})
            if k < len(results):
                msgs.append({"role": "user", "content": s.result.format(index=k + 1, result=results[k])})
        if final:
            msgs.append({"role": "assistant", "content": STOP_SENTENCE})
        return shots + msgs

    def plan_onetime(
        self, task: str, subgoals: Sequence[str] | None = None, demos: bool = True
    ) -> list[Message]:
        shots = self._demos(demos, lambda ex: self.plan_onetime(ex.task, ex.subgoals, False))
        s = self.style
        msgs: list[Message] = [
            {"role": "user", "content": f"{s.plan_onetime}\n{s.task.format(task=task.strip())}"}
        ]
        if subgoals is not None:
            msgs.append(
                {
                    "role": "assistant",
                    "content": "; ".join(_subgoal(k + 1, t) for k, t in enumerate(subgoals)),
                }
            )
        return shots + msgs

    # ----------------------------------------------------------------------------------- grounding

    def _ground_header(self, task: str) -> str:
        s = self.style
        head = s.ground.format(tool_names=self._tool_names, tool_descriptions=self._tool_lines)
        return f"{head}\n\n{s.ground_task.format(task=task.strip())}\n"

    def ground_iterative(
        self,
        task: str,
        subgoals: Sequence[str],
        actions: Sequence[str] = (),
        results: Sequence[str] = (),
        demos: bool = True,
    ) -> list[Message]:
        """User turns name one subgoal each, assistant turns hold its actions. Ends with a user turn while
        ``len(actions) < len(subgoals)``. In the QA domain a subgoal's turn also lists earlier results."""
        shots = self._demos(
            demos, lambda ex: self.ground_iterative(ex.task, ex.subgoals, ex.actions, ex.results, False)
        )
        s = self.style
        msgs: list[Message] = []
        for k, subgoal in enumerate(subgoals):
            turn = s.ground_subgoal.format(subgoal=_subgoal(k + 1, subgoal))
            if k == 0:
                turn = self._ground_header(task) + turn
            elif self.domain == "complex_qa" and results[:k]:
                done = "; ".join(f"Subgoal {i + 1} gave {r}" for i, r in enumerate(results[:k]))
                turn += s.ground_context.format(results=done)
            msgs.append({"role": "user", "content": turn})
            if k < len(actions):
                msgs.append({"role": "assistant", "content": actions[k]})
        return shots + msgs

    def ground_onetime(
        self, task: str, subgoals: Sequence[str], actions: Sequence[str] | None = None, demos: bool = True
    ) -> list[Message]:
        shots = self._demos(demos, lambda ex: self.ground_onetime(ex.task, ex.subgoals, ex.actions, False))
        listed = "; ".join(_subgoal(k + 1, t) for k, t in enumerate(subgoals))
        msgs: list[Message] = [
            {
                "role": "user",
                "content": self._ground_header(task) + self.style.ground_subgoals.format(subgoals=listed),
            }
        ]
        if actions is not None:
            msgs.append({"role": "assistant", "content": "; ".join(actions)})
        return shots + msgs

    # --------------------------------------------------------------------------------- baselines

    def direct(self, task: str, answer: str | None = None, demos: bool = True) -> list[Message]:
        shots = self._demos(demos, lambda ex: self.direct(ex.task, ex.answer, False))
        msgs: list[Message] = [{"role": "user", "content": self.style.direct.format(task=task.strip())}]
        if answer is not None:
            msgs.append({"role": "assistant", "content": answer})
        return shots + msgs

    def cot(
        self, task: str, rationale: str | None = None, answer: str | None = None, demos: bool = True
    ) -> list[Message]:
        shots = self._demos(
            demos, lambda ex: self.cot(ex.task, ex.rationale, ex.answer, False) if ex.rationale else []
        )
        msgs: list[Message] = [{"role": "user", "content": self.style.cot.format(task=task.strip())}]
        if rationale is not None:
            content = self.style.cot_answer.format(rationale=rationale.strip(), answer=answer or "")
            msgs.append({"role": "assistant", "content": content})
        return shots + msgs

    def integrated(
        self,
        task: str,
        subgoals: Sequence[str] | None = None,
        actions: Sequence[str] | None = None,
        demos: bool = True,
    ) -> list[Message]:
        """One model writes subgoals and their actions together (the paper's unmodularised baseline)."""
        shots = self._demos(demos, lambda ex: self.integrated(ex.task, ex.subgoals, ex.actions, False))
        user = self.style.integrated.format(
            tool_names=self._tool_names, tool_descriptions=self._tool_lines, task=task.strip()
        )
        msgs: list[Message] = [{"role": "user", "content": user}]
        if subgoals is not None and actions is not None:
            lines = [
                f"{_subgoal(k + 1, sg)}\n{act}"
                for k, (sg, act) in enumerate(zip(subgoals, actions, strict=False))
            ]
            msgs.append({"role": "assistant", "content": "\n".join(lines)})
        return shots + msgs
