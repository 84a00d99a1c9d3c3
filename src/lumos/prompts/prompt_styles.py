"""Prompt styles: the wording of every module prompt, loaded by name or from a YAML file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import resources
from pathlib import Path

from lumos.errors import ConfigError
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
