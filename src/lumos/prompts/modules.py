"""The conversations each module sees, in one place for inference and for training data.

Every builder takes a (possibly partial) annotation: given the subgoals, actions and results produced so
far it returns the conversation that ends with the user turn the module must answer next; given a complete
annotation (``final=True``) it returns the whole supervised conversation. The agent and ``lumos data build``
both call these, so what a module is trained on and what it is asked at inference cannot drift apart.

The wording is data, a :class:`PromptStyle`: lumos's own (the default), or ``reference``
(``styles/reference.yaml``), the exact format the released Lumos checkpoints were trained on, or any YAML file.
Every style goes through the same builders. The turn structure follows the released checkpoints
(single-line outputs; the planner answers "Yes, I will stop planning." or "No, I will keep planning. Subgoal
k: ..." after each result).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import resources
from pathlib import Path

from lumos.domain import DEFAULT_DOMAIN
from lumos.errors import ConfigError
from lumos.format.parse import GO_ON_SENTENCE, STOP_SENTENCE
from lumos.format.types import Annotation
from lumos.models.base import Message
from lumos.records import read_yaml

Text = str | dict[str, str]
"""One wording for every domain, or wordings by domain (``default`` for the domains not named)."""

STYLES_PACKAGE = "lumos.prompts"
OWN_STYLE = "lumos"


def _own_result() -> dict[str, str]:
    return {"default": "The result of Subgoal {index} is {result}. Should we stop planning?"}


def _domain_texts(style_name: str) -> dict[str, dict[str, str]]:
    """Prompt field -> domain -> text: what each domain's ``styles.yaml`` says for ``style_name``."""
    from lumos.domain import domains

    out: dict[str, dict[str, str]] = {}
    for domain in domains.names():
        for name, text in domains.get(domain).styles.get(style_name, {}).items():
            out.setdefault(name, {})[domain] = text
    return out


@dataclass(frozen=True)
class PromptStyle:
    """The wording of every module prompt: data, loaded from a YAML file (:func:`load_style`).

    ``{...}`` fields are filled in by the builders. A field may hold one text, or texts by domain with
    ``default`` for the rest (a domain with no text and no default gets nothing: e.g. only complex QA shows
    earlier results to the grounder). The defaults here are lumos's own style. Each domain's ``styles.yaml``
    adds its texts to the style of the same name (a style file's own text for a domain wins).
    """

    name: str = OWN_STYLE
    template: str = ""
    """Chat template the style's models were trained with: ``tulu``, or empty for the model's own."""
    data_format: str = "lumos"
    """Rows ``lumos data build`` writes: ``lumos`` (``{"messages"}``) or ``released`` (the released Lumos
    annotations' ``{"dataset", "id", "messages"}``)."""
    plan_iterative: Text = (
        "Plan how to solve the task below, one subgoal at a time. Write the first subgoal as "
        "'Subgoal 1: ...'; after each result, say whether to stop, and if not, give the next subgoal."
    )
    plan_onetime: Text = (
        "Plan how to solve the task below as a list of subgoals on one line: "
        "'Subgoal 1: ...; Subgoal 2: ...'. Each subgoal is one small step that a tool can carry out."
    )
    task: Text = "Task: {task}; Initial Environment Description: {observation}."
    """The planner's task line: ``{observation}`` is the page before any action in domains that show it
    (``Domain.observe_first``), else ``None``."""
    result: Text = field(default_factory=_own_result)
    """The planner's turn after subgoal ``{index}``: ``{result}`` is its last action result without a
    trailing full stop, ``{done}`` the subgoal with its first letter lower-cased and no trailing full stop."""
    plan_retry: Text = "That could not be read ({why}). Write 'Subgoal {index}: ...' on one line."
    """Lumos-I: the user turn after a planner output that could not be read; empty: ask the same again."""
    ground: Text = (
        "Turn the subgoal into executable actions, written 'R1 = Tool(arguments)' and separated by '; '. "
        "Later actions may use earlier results R1, R2, ... Use only the tools in this list: {tool_names}.\n"
        "{tool_descriptions}"
    )
    ground_task: Text = "Task: {task}"
    ground_subgoal: Text = "Subgoal to be grounded: {subgoal}"
    ground_subgoals: Text = "Subgoals to be grounded: {subgoals}"
    ground_context: Text = field(default_factory=dict)
    """Added to a later grounder turn: ``{results}`` holds one ``ground_context_item`` per earlier subgoal."""
    ground_context_item: Text = "Subgoal {index} gave {result}"
    ground_context_sep: Text = "; "
    tool_names: Text = field(default_factory=dict)
    """The grounder's tool list by domain; a domain without one lists its registered tools."""
    tool_descriptions: Text = field(default_factory=dict)
    direct: Text = "Answer the question. Reply with the final answer only.\nQuestion: {task}"
    cot: Text = "Solve the problem step by step. End with 'The answer is X.'\nQuestion: {task}"
    cot_answer: Text = "{rationale} The answer is {answer}."
    act: Text = (
        "Do the task on the page one action at a time. Write only the next action, as 'Rk = Tool(arguments)' "
        "numbered on from your earlier ones; then you see the page it leaves. Use only these tools: "
        "{tool_names}.\n{tool_descriptions}"
    )
    """The flat baseline of environment domains (:class:`~lumos.agent.flat.FlatAgent`): its first turn,
    followed by the ``task`` line."""
    act_result: Text = "Result of R{index}: {result}"
    integrated: Text = (
        "Solve the task. Write each subgoal as 'Subgoal k: ...' on its own line, followed by a line with its "
        "actions 'R1 = Tool(arguments); ...'. Use only these tools: {tool_names}.\n{tool_descriptions}\n"
        "Task: {task}"
    )

    def __post_init__(self) -> None:
        field_names = {f.name for f in fields(self)}
        for name, by_domain in _domain_texts(self.name).items():
            if name not in field_names or name in ("name", "template", "data_format"):
                raise ConfigError(f"a domain's styles.yaml names {name!r}, which is no prompt field")
            value = getattr(self, name)
            merged = {**({"default": value} if isinstance(value, str) else value), **by_domain}
            object.__setattr__(self, name, merged)
        if self.template not in ("", "tulu"):
            raise ConfigError(f"style {self.name!r}: template must be 'tulu' or empty, not {self.template!r}")
        if self.data_format not in ("lumos", "released"):
            raise ConfigError(f"style {self.name!r}: data_format must be lumos or released")

    def text(self, name: str, domain: str) -> str | None:
        """The wording of field ``name`` for ``domain`` (None where the style has none for it)."""
        value = getattr(self, name)
        if isinstance(value, str):
            return value
        return value.get(domain, value.get("default"))

    @classmethod
    def from_yaml(cls, path: str | Path, base: PromptStyle | None = None) -> PromptStyle:
        """A style file: ``field: text`` or ``field: {domain: text, default: text}``, on top of ``base``
        (lumos's own style), or of the style named by an ``extends:`` key."""
        data = read_yaml(Path(path), "a prompt style file (a mapping of field: text)", expect=dict)
        if data is None:
            raise ConfigError(f"{path} is empty: a prompt style file is a mapping of field: text")
        extends = data.pop("extends", None)
        if extends is not None:
            base = load_style(str(extends))
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in set(data) - known)
        if unknown:
            raise ConfigError(f"{path}: unknown prompt fields {unknown}; known: {sorted(known)}")
        values: dict[str, Text] = {}
        for key, value in data.items():
            if isinstance(value, dict):
                values[key] = {str(d): str(v) for d, v in value.items()}
            elif key in ("name", "template", "data_format") or not isinstance(value, (list, type(None))):
                values[key] = str(value)
            else:
                raise ConfigError(f"{path}: {key} must be a text or a mapping of domain: text")
        values.setdefault("name", Path(path).stem)
        style = replace(base or cls(), **values)  # type: ignore[arg-type]
        for key, value in values.items():  # what the file says for a domain wins over the domain's own text
            if isinstance(value, dict):
                object.__setattr__(style, key, {**getattr(style, key), **value})
        return style


def style_names() -> list[str]:
    """The styles shipped with lumos: its own, and one per file in ``prompts/styles/``."""
    folder = resources.files(STYLES_PACKAGE).joinpath("styles")
    shipped = sorted(p.name.rsplit(".", 1)[0] for p in folder.iterdir() if p.name.endswith(".yaml"))
    return [OWN_STYLE, *[n for n in shipped if n != OWN_STYLE]]


@cache
def _shipped_style(name: str) -> PromptStyle:
    path = resources.files(STYLES_PACKAGE).joinpath("styles", f"{name}.yaml")
    with resources.as_file(path) as file:
        return PromptStyle.from_yaml(file)


def load_style(spec: str | Path | None = None) -> PromptStyle:
    """A style by name (``lumos``, ``reference``) or a YAML file; None: lumos's own."""
    if spec is None or str(spec) == OWN_STYLE:
        return PromptStyle()
    if str(spec) in style_names():
        return _shipped_style(str(spec))
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"unknown prompt style {str(spec)!r}: name one of {style_names()} or a YAML file")
    return PromptStyle.from_yaml(path)


def released_model(name: str | None) -> bool:
    """A released Lumos checkpoint (``ai2lumos/...``), which only works in the reference style."""
    return bool(name) and str(name).lower().startswith("ai2lumos/")


def pick_style(spec: str | Path | None, model_names: Sequence[str | None] = ()) -> PromptStyle:
    """``spec`` when given; else the reference style for the released checkpoints, else lumos's own."""
    if spec is None and any(released_model(n) for n in model_names):
        spec = "reference"
    return load_style(spec)


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
