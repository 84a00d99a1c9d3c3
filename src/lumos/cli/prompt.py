"""Show exactly what a module is given: its conversation after the chat template, byte for byte."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from lumos.domain import DEFAULT_DOMAIN

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

TEMPLATES = ("auto", "tulu", "native")


def read_history(path: Path | None) -> dict[str, list[str]]:
    """``{"subgoals": [...], "actions": [...], "results": [...]}`` of plain texts (each key optional)."""
    if path is None:
        return {"subgoals": [], "actions": [], "results": []}
    from lumos.errors import ConfigError
    from lumos.records import read_json

    data = read_json(path, "--history file")
    if not isinstance(data, dict) or set(data) - {"subgoals", "actions", "results"}:
        raise ConfigError(f"--history {path}: expected an object with keys subgoals, actions, results")
    history: dict[str, list[str]] = {}
    for key in ("subgoals", "actions", "results"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
            raise ConfigError(f"--history {path}: {key} must be a list of texts")
        history[key] = [str(v) for v in value]
    return history


def render_text(messages: list[Any], template: str, model: str | None) -> str:
    """The conversation as the model reads it: Tulu turns, or the chat template of ``model``'s tokenizer
    (default: the embedded model's)."""
    from lumos.models.templates import render_conversation, render_tulu

    if template == "tulu":
        return render_tulu(messages)
    from lumos.errors import require
    from lumos.models.default import is_default_name, resolve_default

    transformers = require("transformers", extra="hf", purpose="rendering a model's own chat template")
    source = str(resolve_default()) if is_default_name(model) else str(model)
    tokenizer = transformers.AutoTokenizer.from_pretrained(source)
    return render_conversation(tokenizer, messages, "native")


@app.command("render")
def render_command(
    task: Annotated[str, typer.Option(help="the task text")],
    module: Annotated[str, typer.Option(help="plan or ground")] = "plan",
    formulation: Annotated[str, typer.Option(help="iterative (Lumos-I) or onetime (Lumos-O)")] = "iterative",
    domain: Annotated[str, typer.Option(help="task domain (see `lumos domains`)")] = DEFAULT_DOMAIN,
    style: Annotated[
        Optional[str],
        typer.Option(help="prompt style: lumos, reference, or a YAML file (default: from --model, else lumos)"),
    ] = None,
    history: Annotated[
        Optional[Path],
        typer.Option(help='JSON {"subgoals": [...], "actions": [...], "results": [...]} of plain texts'),
    ] = None,
    template: Annotated[
        str, typer.Option(help="auto (the style's: Tulu for reference; else the model's own), tulu, native")
    ] = "auto",
    model: Annotated[
        Optional[str], typer.Option(help="model whose name picks the style and whose chat template is used")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the conversation (messages) as JSON")] = False,
) -> None:
    """Print the exact text a module receives (after the chat template): e.g. ``lumos prompt render --style
    reference --domain maths --module ground --task "..." --history h.json``."""
    from lumos.errors import ConfigError
    from lumos.prompts.modules import ModulePrompts, module_conversation
    from lumos.prompts.prompt_styles import pick_style
    from lumos.terminal import printable, safe_json

    if template not in TEMPLATES:
        raise ConfigError(f"--template must be one of {', '.join(TEMPLATES)}, not {template!r}")
    chosen = pick_style(style, [model])
    h = read_history(history)
    messages = module_conversation(
        ModulePrompts(domain, chosen), module, formulation, task, h["subgoals"], h["actions"], h["results"]
    )
    if as_json:
        print(safe_json(messages, indent=2))
        return
    if template == "auto":
        template = chosen.template or "native"
    sys.stdout.write(printable(render_text(messages, template, model)))  # a control character shows as \x1b
    sys.stdout.flush()
