"""The conversations each module sees, in one place for inference and for training data.

Every builder takes a (possibly partial) annotation: given the subgoals, actions and results produced so
far it returns the conversation that ends with the user turn the module must answer next; given a complete
annotation (``final=True``) it returns the whole supervised conversation. The agent and ``lumos data build``
both call these, so what a module is trained on and what it is asked at inference cannot drift apart.

The wording is data, a :class:`~lumos.prompts.prompt_styles.PromptStyle`: lumos's own (the default), or
``reference`` (``styles/reference.yaml``), the exact format the released Lumos checkpoints were trained on, or
any YAML file. Every style goes through the same builders. The turn structure follows the released checkpoints
(single-line outputs; the planner answers "Yes, I will stop planning." or "No, I will keep planning. Subgoal
k: ..." after each result).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lumos.domain import DEFAULT_DOMAIN
from lumos.errors import ConfigError
from lumos.format.parse import GO_ON_SENTENCE, STOP_SENTENCE
from lumos.format.types import Annotation
from lumos.models.base import Message
from lumos.prompts.prompt_styles import PromptStyle


def tool_descriptions(domain: str) -> tuple[str, str]:
    """(names, one line per tool) for the grounding prompt of ``domain``."""
    from lumos.tools.base import registry

    names = registry.domain(domain)
    classes = [registry.get(n) for n in names]
    return ", ".join(names), "\n".join(f"{c.signature}: {c.description}" for c in classes)


def without_full_stop(text: str) -> str:
    text = str(text).strip()
    return text[:-1].rstrip() if text.endswith(".") else text


def done_phrase(subgoal: str) -> str:
    """``Click the search box.`` -> ``click the search box`` (for "We have already ...")."""
    text = without_full_stop(subgoal)
    return text[:1].lower() + text[1:]


def load_examples(domain: str) -> tuple[Annotation, ...]:
    """The in-context demonstrations of ``domain`` (its ``examples.yaml``; none without one)."""
    from lumos.domain import get_domain

    return tuple(Annotation(domain=domain, **item) for item in get_domain(domain).examples)


def _subgoal(index: int, text: str) -> str:
    return f"Subgoal {index}: {text}"


class ModulePrompts:
    """Builds module conversations for one domain, optionally preceded by ``n_examples`` demonstrations."""

    def __init__(self, domain: str = DEFAULT_DOMAIN, style: PromptStyle | None = None, n_examples: int = 0) -> None:
        self.domain = domain
        self.style = style or PromptStyle()
        examples = load_examples(domain)
        if n_examples > len(examples):
            raise ConfigError(f"{n_examples} in-context examples asked for, but {domain} has {len(examples)}")
        self.examples = examples[:n_examples]
        names, lines = self.style.text("tool_names", domain), self.style.text("tool_descriptions", domain)
        if names is None or lines is None:
            names, lines = tool_descriptions(domain)
        self._tool_names, self._tool_lines = names, lines

    def _say(self, name: str, **values: str) -> str:
        """The style's wording of ``name`` for this domain, filled in ("" where it has none)."""
        text = self.style.text(name, self.domain)
        return "" if text is None else text.format(**values)

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
        observation: str = "",
    ) -> list[Message]:
        """User: task (and the environment's first ``observation``); then per subgoal the planner's turn and
        the result turn; ``final`` adds the stop."""
        shots = self._demos(
            demos,
            lambda ex: self.plan_iterative(ex.task, ex.subgoals, ex.results, True, False, ex.observation),
        )
        first = f"{self._say('plan_iterative')}\n{self._task_line(task, observation)}"
        msgs: list[Message] = [{"role": "user", "content": first}]
        for k, subgoal in enumerate(subgoals):
            said = _subgoal(k + 1, subgoal)
            msgs.append({"role": "assistant", "content": said if k == 0 else f"{GO_ON_SENTENCE} {said}"})
            if k < len(results):
                turn = self._say(
                    "result", index=str(k + 1), result=without_full_stop(results[k]), done=done_phrase(subgoal)
                )
                msgs.append({"role": "user", "content": turn})
        if final:
            msgs.append({"role": "assistant", "content": STOP_SENTENCE})
        return shots + msgs

    def _task_line(self, task: str, observation: str) -> str:
        return self._say("task", task=task.strip(), observation=observation.strip() or "None")

    def plan_retry(self, why: str, index: int) -> str:
        """The turn answering an unreadable planner output ("" where the style has none)."""
        return self._say("plan_retry", why=why, index=str(index))

    def plan_onetime(
        self, task: str, subgoals: Sequence[str] | None = None, demos: bool = True, observation: str = ""
    ) -> list[Message]:
        shots = self._demos(demos, lambda ex: self.plan_onetime(ex.task, ex.subgoals, False, ex.observation))
        first = f"{self._say('plan_onetime')}\n{self._task_line(task, observation)}"
        msgs: list[Message] = [{"role": "user", "content": first}]
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
        head = self._say("ground", tool_names=self._tool_names, tool_descriptions=self._tool_lines)
        return f"{head}\n\n{self._say('ground_task', task=task.strip())}\n"

    def _ground_context(self, results: Sequence[str]) -> str:
        """Earlier subgoals' results for a later grounder turn (only in domains whose style shows them)."""
        if not results or self.style.text("ground_context", self.domain) is None:
            return ""
        items = [self._say("ground_context_item", index=str(i + 1), result=r) for i, r in enumerate(results)]
        return self._say("ground_context", results=self._say("ground_context_sep").join(items))

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
        msgs: list[Message] = []
        for k, subgoal in enumerate(subgoals):
            turn = self._say("ground_subgoal", subgoal=_subgoal(k + 1, subgoal))
            turn = self._ground_header(task) + turn if k == 0 else turn + self._ground_context(results[:k])
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
            {"role": "user", "content": self._ground_header(task) + self._say("ground_subgoals", subgoals=listed)}
        ]
        if actions is not None:
            msgs.append({"role": "assistant", "content": "; ".join(actions)})
        return shots + msgs

    # --------------------------------------------------------------------------------- baselines

    def direct(self, task: str, answer: str | None = None, demos: bool = True) -> list[Message]:
        shots = self._demos(demos, lambda ex: self.direct(ex.task, ex.answer, False))
        msgs: list[Message] = [{"role": "user", "content": self._say("direct", task=task.strip())}]
        if answer is not None:
            msgs.append({"role": "assistant", "content": answer})
        return shots + msgs

    def cot(
        self, task: str, rationale: str | None = None, answer: str | None = None, demos: bool = True
    ) -> list[Message]:
        shots = self._demos(
            demos, lambda ex: self.cot(ex.task, ex.rationale, ex.answer, False) if ex.rationale else []
        )
        msgs: list[Message] = [{"role": "user", "content": self._say("cot", task=task.strip())}]
        if rationale is not None:
            content = self._say("cot_answer", rationale=rationale.strip(), answer=answer or "")
            msgs.append({"role": "assistant", "content": content})
        return shots + msgs

    def act_iterative(
        self,
        task: str,
        observation: str = "",
        actions: Sequence[str] = (),
        results: Sequence[str] = (),
        final: bool = False,
        demos: bool = True,
    ) -> list[Message]:
        """The flat baseline's conversation: the task and the page, then each action and the page it left.
        Ends with a user turn while there are as many results as actions; ``final`` (a whole episode for
        training) leaves out the last result, which nothing answers."""
        shots = self._demos(
            demos, lambda ex: self.act_iterative(ex.task, ex.observation, ex.actions, ex.results, True, False)
        )
        head = self._say("act", tool_names=self._tool_names, tool_descriptions=self._tool_lines)
        msgs: list[Message] = [{"role": "user", "content": f"{head}\n{self._task_line(task, observation)}"}]
        shown = len(actions) - 1 if final else len(results)
        for k, action in enumerate(actions):
            msgs.append({"role": "assistant", "content": action})
            if k < min(shown, len(results)):
                turn = self._say("act_result", index=str(k + 1), result=results[k].strip())
                msgs.append({"role": "user", "content": turn})
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
        user = self._say(
            "integrated", tool_names=self._tool_names, tool_descriptions=self._tool_lines, task=task.strip()
        )
        msgs: list[Message] = [{"role": "user", "content": user}]
        if subgoals is not None and actions is not None:
            lines = [
                f"{_subgoal(k + 1, sg)}\n{act}"
                for k, (sg, act) in enumerate(zip(subgoals, actions, strict=False))
            ]
            msgs.append({"role": "assistant", "content": "\n".join(lines)})
        return shots + msgs


def strip_subgoal_label(text: str) -> str:
    """``No, I will keep planning. Subgoal 2: Add.`` -> ``Add.`` (a plain text is returned as it is)."""
    text = text.strip()
    if text.startswith(GO_ON_SENTENCE):
        text = text[len(GO_ON_SENTENCE) :].strip()
    head, sep, rest = text.partition(":")
    return rest.strip() if sep and head.strip().lower().startswith("subgoal") else text


def module_conversation(
    prompts: ModulePrompts,
    module: str,
    formulation: str,
    task: str,
    subgoals: Sequence[str] = (),
    actions: Sequence[str] = (),
    results: Sequence[str] = (),
) -> list[Message]:
    """The conversation a module is given next, from a history of plain texts (``Subgoal 1: ...``, ``R1 =
    ...``, result values). Planner: ``subgoals`` and ``results`` are the finished subgoals'. Grounder: the
    last subgoal is the one to ground (one-time: all of them); ``actions`` cover the earlier ones."""
    texts = [strip_subgoal_label(s) for s in subgoals]
    if formulation not in ("iterative", "onetime"):
        raise ConfigError(f"formulation must be iterative or onetime, not {formulation!r}")
    if module == "plan":
        if formulation == "onetime":
            if texts or actions or results:
                raise ConfigError("the one-time planner sees only the task: give no history")
            return prompts.plan_onetime(task)
        if len(results) != len(texts):
            raise ConfigError(
                f"planner history: {len(texts)} subgoals but {len(results)} results (give one per subgoal)"
            )
        return prompts.plan_iterative(task, texts, results)
    if module == "ground":
        if not texts:
            raise ConfigError("grounder history needs the subgoal(s) to ground in 'subgoals'")
        if formulation == "onetime":
            return prompts.ground_onetime(task, texts)
        if len(actions) != len(texts) - 1:
            raise ConfigError(
                f"grounder history: {len(texts)} subgoals need {len(texts) - 1} actions (one per earlier "
                f"subgoal), not {len(actions)}"
            )
        if results and len(results) != len(actions):
            raise ConfigError(f"grounder history: {len(actions)} actions but {len(results)} results")
        return prompts.ground_iterative(task, texts, actions, results)
    raise ConfigError(f"module must be plan or ground, not {module!r}")
