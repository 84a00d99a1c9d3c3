"""Turning command-line choices (and an optional ``--config`` YAML) into models and an agent."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from lumos.agent.agent import Agent, AgentConfig
from lumos.domain import AGENTS, DEFAULT_DOMAIN, get_domain
from lumos.errors import ConfigError
from lumos.models.base import Model
from lumos.prompts.prompt_styles import PromptStyle, pick_style
from lumos.records import check_keys, read_yaml

FEW_SHOT_DEFAULT = 3


# Options shared by `lumos run` and `lumos eval` (one declaration, one help text each).


def _agent_help(name: str) -> str:
    """The help of an AgentConfig field (its dataclass metadata)."""
    return next(f.metadata.get("help", "") for f in fields(AgentConfig) if f.name == name)


BackendOption = Annotated[
    str,
    typer.Option(help="model backend: auto (the fastest installed engine), hf, llamacpp, openai, fake, or a plugin"),
]
ModelOption = Annotated[
    Optional[str], typer.Option(help="one model for every module (default: the embedded model)")
]
PlanModelOption = Annotated[Optional[str], typer.Option(help="planning module model")]
GroundModelOption = Annotated[Optional[str], typer.Option(help="grounding module model")]
PlanAdapterOption = Annotated[
    Optional[str], typer.Option(help="LoRA adapter for planning (PEFT folder; llamacpp also GGUF)")
]
GroundAdapterOption = Annotated[
    Optional[str], typer.Option(help="LoRA adapter for grounding (PEFT folder; llamacpp also GGUF)")
]
AdapterOption = Annotated[
    Optional[str],
    typer.Option(
        help="LoRA adapter of the one model of the flat agent (run --agent flat, eval direct-iterative) and of "
        "eval's direct, cot, integrated (PEFT folder; llamacpp also GGUF)"
    ),
]
EnvOption = Annotated[
    Optional[list[str]],
    typer.Option(
        help="KEY=VALUE for the domain's environment (repeatable; see `lumos domains`): e.g. seed=N, data=PATH; "
        "eval: tasks=A,B, suite=NAME, episodes=N, ranker=SPEC"
    ),
]
BaseUrlOption = Annotated[
    Optional[str],
    typer.Option(help="openai backend: server URL; several comma-separated, or @FILE (one a line), share the requests"),
]
TrainedOption = Annotated[
    bool,
    typer.Option(help="use the trained adapters the domain ships (Lumos modules; the flat agent's model) "
                 "(--no-trained: the base model, few-shot)"),
]
ExamplesOption = Annotated[
    Optional[int],
    typer.Option(help=f"{_agent_help('n_examples')} (default: {FEW_SHOT_DEFAULT} for an untrained model, else 0)"),
]
MaxRoundsOption = Annotated[Optional[int], typer.Option(help=_agent_help("max_rounds"))]
IndexOption = Annotated[
    Optional[Path],
    typer.Option(help="search index directory of a domain's retrieval tools (default: the built-in offline index)"),
]
ConfigOption = Annotated[
    Optional[Path], typer.Option(help="YAML file of AgentConfig settings (and model names); flags override it")
]
StyleOption = Annotated[
    Optional[str],
    typer.Option(
        help="prompt style: lumos (its own), reference (the released Lumos checkpoints' exact format) or a YAML "
        "file (default: reference for ai2lumos/* models, else lumos)"
    ),
]
QAModelOption = Annotated[
    Optional[str],
    typer.Option(help="a separate model for the QA tool, where a domain has one (default: the planner's model)"),
]
QABackendOption = Annotated[
    Optional[str],
    typer.Option(help="backend of --qa-model (default: --backend when openai or fake, else openai)"),
]
GroundBaseUrlOption = Annotated[
    Optional[str],
    typer.Option(help="openai backend: the grounding model's server URL, when not --base-url's"),
]
UnsafeCodeOption = Annotated[
    bool,
    typer.Option(
        "--unsafe-code",
        help="run model-written Code WITHOUT the OS-level sandbox (only inside a disposable container); "
        "warned about and recorded",
    ),
]
QABaseUrlOption = Annotated[
    Optional[str],
    typer.Option(help="server URL of --qa-model (default: --base-url when on the same backend)"),
]


CONFIG_ONLY_SETTINGS = ("model", "plan_model", "ground_model", "style", "unsafe_code")
"""Settings of a ``--config`` file besides the agent's own (:class:`AgentConfig`'s fields)."""


def load_config_file(path: Path | None) -> dict[str, Any]:
    """The settings of a ``--config`` YAML file; an unknown name is an error naming its line."""
    if path is None:
        return {}
    data: dict[str, Any] = read_yaml(path, "--config file (a mapping of setting: value)", expect=dict) or {}
    known = [*(f.name for f in fields(AgentConfig)), *CONFIG_ONLY_SETTINGS]
    check_keys(path, data, known, "the --config file")
    return data


def apply_unsafe_code(flag: bool, file_values: dict[str, Any] | None = None) -> bool:
    """Opt out of the Code sandbox when the flag (or the config file's ``unsafe_code``) says so; the policy."""
    from lumos.sandbox import allow_unsafe_code, unsafe_code_allowed

    if flag or (file_values or {}).get("unsafe_code") is True:
        allow_unsafe_code()
    return unsafe_code_allowed()


def agent_config(file_values: dict[str, Any], overrides: dict[str, Any]) -> AgentConfig:
    """AgentConfig from the domain's ``agent_defaults``, then the config file's values, then the flags that
    were given."""
    known = {f.name for f in fields(AgentConfig)}  # unsafe_code is the sandbox's, not the agent's
    domain = get_domain(overrides.get("domain") or file_values.get("domain") or DEFAULT_DOMAIN)
    unknown = sorted(set(domain.agent_defaults) - known)
    if unknown:
        raise ConfigError(f"domain {domain.name!r}: agent_defaults names no agent setting {', '.join(unknown)}")
    values = dict(domain.agent_defaults)
    values.update({k: v for k, v in file_values.items() if k in known})
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return AgentConfig(**values)
    except TypeError as exc:
        raise ConfigError(f"bad agent setting: {exc}") from exc


def shipped_adapters(domain: str, formulation: str) -> tuple[str, str] | None:
    """The trained plan and ground adapters that ship with this domain for this formulation, if any."""
    from lumos.domain import get_domain

    return get_domain(domain).shipped_adapters(formulation)


@dataclass(frozen=True)
class ModelSetup:
    """Which models to load for the two modules, resolved from the command-line options."""

    backend: str
    plan_name: str | None
    ground_name: str | None
    plan_adapter: str | None
    ground_adapter: str | None
    base_url: str | None
    untrained: bool  # the embedded base with no trained module behind it (driven few-shot)
    template: str = ""  # "tulu": the prompt style's models read Tulu turns (hf: chat_template, openai: /completions)
    ground_base_url: str | None = None  # openai: the grounder's own server (default: base_url)


def resolve_models(
    backend: str,
    model: str | None,
    plan_model: str | None,
    ground_model: str | None,
    plan_adapter: str | None,
    ground_adapter: str | None,
    base_url: str | None,
    *,
    domain: str = DEFAULT_DOMAIN,
    formulation: str = "iterative",
    use_shipped: bool = True,
) -> ModelSetup:
    """Resolve ``auto`` to an engine and, for the embedded model, the shipped adapters of the domain."""
    plan_name = plan_model or model
    ground_name = ground_model or model
    embedded = plan_name is None and ground_name is None
    if backend == "auto":
        from lumos.models.select import fastest_backend

        backend = fastest_backend() if embedded else "hf"
    if embedded and use_shipped and not (plan_adapter or ground_adapter) and backend in ("hf", "llamacpp"):
        shipped = shipped_adapters(domain, formulation)
        if shipped is not None:
            plan_adapter, ground_adapter = shipped
    untrained = embedded and not (plan_adapter or ground_adapter) and backend in ("hf", "llamacpp")
    return ModelSetup(backend, plan_name, ground_name, plan_adapter, ground_adapter, base_url, untrained)


def resolve_flat_model(
    backend: str,
    model: str | None,
    adapter: str | None,
    base_url: str | None,
    *,
    domain: str = DEFAULT_DOMAIN,
    use_shipped: bool = True,
) -> ModelSetup:
    """The one model of the flat agent (both modules of the setup): ``model`` with ``adapter``; for the
    embedded model with no adapter given, the domain's shipped flat adapter (``use_shipped=False``: the bare
    base, which ``untrained`` then says)."""
    setup = resolve_models(backend, model, None, None, adapter, adapter, base_url, domain=domain, use_shipped=False)
    shipped = get_domain(domain).shipped_flat_adapter() if use_shipped and setup.untrained else None
    if shipped is None:
        return setup
    return replace(setup, plan_adapter=shipped, ground_adapter=shipped, untrained=False)


def load_setup(setup: ModelSetup, parallel: int = 32) -> tuple[Model, Model]:
    """Load the planner and grounder of ``setup`` (one model when both are the same).

    ``parallel``: about how many tasks run at once (the llama.cpp engine keeps that many conversations in its
    KV cache, so each round evaluates only the new turn).
    """
    from lumos.models.registry import load_model

    backend, plan_name, ground_name = setup.backend, setup.plan_name, setup.ground_name
    plan_adapter, ground_adapter = setup.plan_adapter, setup.ground_adapter
    options: dict[str, Any] = {}
    if setup.base_url:
        options["base_url"] = setup.base_url
    if setup.template == "tulu" and backend == "openai":
        options["use_chat"] = False  # a server of the released checkpoints gets the Tulu text as it is
    elif setup.template == "tulu" and backend in ("hf", "llamacpp") and not (plan_adapter or ground_adapter):
        options["chat_template"] = "tulu"
    if backend == "hf" and (plan_adapter or ground_adapter) and plan_name == ground_name:
        from lumos.models.hf import load_shared_base

        # one copy of the base weights; each module switches to its own adapter (None: the bare base)
        loaded = load_shared_base(plan_name or "default", {"plan": plan_adapter, "ground": ground_adapter})
        return loaded["plan"], loaded["ground"]
    if backend == "llamacpp":
        # ~23 KB of KV cache a token for the default model, n_ctx tokens for each kept conversation: trained
        # modules' prompts are short; prompts with demonstrations stay under ~2,500 tokens. Every task of a
        # round is decoded in one batch (wider batches give more tokens/s; the kept sequences are there anyway).
        keep = max(1, min(parallel, 64))
        if plan_adapter or ground_adapter:
            kwargs = {"keep_conversations": keep, "n_ctx": 2048, "batch_size": keep}
            planner = load_model(backend, plan_name, lora=plan_adapter, **kwargs)
            if (ground_name, ground_adapter) == (plan_name, plan_adapter):  # one model (the flat agent's)
                return planner, planner
            grounder = load_model(backend, ground_name, lora=ground_adapter, **kwargs)
            return planner, grounder
        # one model serves planner, grounder (and the QA tool): a conversation of each per task
        options.update(keep_conversations=min(2 * keep, 64), n_ctx=3072, batch_size=keep)
    planner = load_model(backend, plan_name, **options)
    ground_options = {**options, "base_url": setup.ground_base_url} if setup.ground_base_url else options
    same = ground_name == plan_name and ground_options == options
    grounder = planner if same else load_model(backend, ground_name, **ground_options)
    return planner, grounder


def close_models(*models: Model) -> None:
    """Close each distinct model once."""
    seen: set[int] = set()
    for m in models:
        if id(m) not in seen:
            seen.add(id(m))
            m.close()


def build_models(*args: Any, parallel: int = 32, **kwargs: Any) -> tuple[Model, Model, bool]:
    """Load the planning and grounding models once each (once in all when they are the same).

    Takes :func:`resolve_models`'s arguments: with no model named, the embedded base with the trained adapters
    shipped for the domain and formulation (``use_shipped=False``: the bare base, driven few-shot).
    Returns (planner, grounder, untrained) where ``untrained`` says no trained module is behind the base.
    """
    setup = resolve_models(*args, **kwargs)
    planner, grounder = load_setup(setup, parallel)
    return planner, grounder, setup.untrained


def build_agent(
    *,
    config_file: Path | None,
    prompts_file: Path | None,
    backend: str,
    model: str | None,
    plan_model: str | None,
    ground_model: str | None,
    plan_adapter: str | None,
    ground_adapter: str | None,
    base_url: str | None,
    overrides: dict[str, Any],
    index: Path | None = None,
    use_shipped: bool = True,
    parallel: int = 32,
    style: str | None = None,
    qa: QAModelOptions | None = None,
    ground_base_url: str | None = None,
    agent: str | None = None,
    adapter: str | None = None,
) -> Agent:
    """The agent of ``lumos run``: Lumos's planner and grounder, or the flat agent (``agent``, see
    :func:`choose_agent`)."""
    file_values = load_config_file(config_file)
    domain = overrides.get("domain") or file_values.get("domain", DEFAULT_DOMAIN)
    formulation = overrides.get("formulation") or file_values.get("formulation", "iterative")
    model = model or file_values.get("model")
    plan_model = plan_model or file_values.get("plan_model")
    ground_model = ground_model or file_values.get("ground_model")
    prompt_style = choose_style(style or file_values.get("style"), prompts_file, [model, plan_model, ground_model])
    lumos_options = {
        "--formulation": overrides.get("formulation"),
        "--plan-model": plan_model,
        "--ground-model": ground_model,
        "--plan-adapter": plan_adapter,
        "--ground-adapter": ground_adapter,
    }
    lumos_named = [name for name, value in lumos_options.items() if value]
    if choose_agent(agent, domain, adapter_named=bool(adapter), lumos_named=lumos_named) == "flat":
        flat = resolve_flat_model(backend, model, adapter, base_url, domain=domain, use_shipped=use_shipped)
        return build_flat_agent(flat, file_values, overrides, prompt_style, index=index, parallel=parallel, qa=qa)
    setup = resolve_models(
        backend,
        model,
        plan_model,
        ground_model,
        plan_adapter,
        ground_adapter,
        base_url,
        domain=domain,
        formulation=formulation,
        use_shipped=use_shipped,
    )
    setup = replace(setup, template=prompt_style.template, ground_base_url=ground_base_url)
    planner, grounder = load_setup(setup, parallel)
    untrained = setup.untrained
    if overrides.get("n_examples") is None and "n_examples" not in file_values:
        overrides = {**overrides, "n_examples": FEW_SHOT_DEFAULT if untrained else 0}
    config = agent_config(file_values, overrides)
    qa_model = (qa or QAModelOptions()).load(backend, base_url) or planner
    tool_options = tool_options_for(config.domain, index, qa_model)
    make_agent = get_domain(config.domain).load("make_agent")
    if make_agent is not None:  # a domain that builds its agent itself (e.g. one that stops when the page ends)
        built: Agent = make_agent(planner, grounder, config, style=prompt_style, tool_options=tool_options)
        return built
    return Agent(planner, grounder, config, style=prompt_style, tool_options=tool_options)


def choose_agent(agent: str | None, domain: str, *, adapter_named: bool, lumos_named: list[str]) -> str:
    """``--agent`` (lumos or flat); without it, the agent whose modules were named (``--adapter``: flat;
    ``lumos_named``, e.g. ``--formulation`` or ``--plan-adapter``: lumos), else the domain's ``default_agent``."""
    if agent is not None and agent not in AGENTS:
        raise ConfigError(f"--agent {agent!r}: choose one of {', '.join(AGENTS)}")
    if agent is None and adapter_named and lumos_named:
        raise ConfigError(
            f"--adapter is the flat agent's and {', '.join(lumos_named)} Lumos modules': name one agent's "
            "(--agent lumos or --agent flat)"
        )
    chosen = agent or ("flat" if adapter_named else "lumos" if lumos_named else get_domain(domain).default_agent)
    if chosen == "flat" and lumos_named:
        raise ConfigError(
            f"{', '.join(lumos_named)}: Lumos modules, which the flat agent does not use; give --model and "
            "--adapter for the flat agent, or --agent lumos"
        )
    if chosen == "lumos" and adapter_named:
        raise ConfigError(
            "--adapter is the flat agent's (--agent flat); Lumos modules take --plan-adapter and --ground-adapter"
        )
    if chosen == "flat" and not get_domain(domain).environment:
        raise ConfigError(
            f"the flat agent acts on an environment, and domain {domain!r} has none: use --agent lumos, or a "
            "domain with an environment (`lumos domains`)"
        )
    return chosen


def build_flat_agent(
    setup: ModelSetup,
    file_values: dict[str, Any],
    overrides: dict[str, Any],
    style: PromptStyle,
    *,
    index: Path | None = None,
    parallel: int = 32,
    qa: QAModelOptions | None = None,
) -> Agent:
    """The flat agent (:class:`~lumos.agent.flat.FlatAgent`) over the one model of ``setup``
    (:func:`resolve_flat_model`). Its prompt holds no demonstrations, so the bare embedded base is refused."""
    from lumos.agent.flat import FlatAgent

    if setup.untrained:
        raise ConfigError("the flat agent needs a trained adapter: pass --adapter PATH, or --agent lumos")
    _, model = load_setup(replace(setup, template=style.template), parallel)
    config = agent_config(file_values, overrides)
    qa_model = (qa or QAModelOptions()).load(setup.backend, setup.base_url) or model
    return FlatAgent(model, config, style=style, tool_options=tool_options_for(config.domain, index, qa_model))


def choose_style(
    style: str | None, prompts_file: Path | None, model_names: list[str | None]
) -> PromptStyle:
    """``--style`` (a name or YAML file; default: reference for ``ai2lumos/*`` models, else lumos's own),
    with a ``--prompts`` file's wording on top."""
    chosen = pick_style(style, model_names)
    return PromptStyle.from_yaml(prompts_file, base=chosen) if prompts_file else chosen


@dataclass(frozen=True)
class QAModelOptions:
    """``--qa-model``, ``--qa-backend``, ``--qa-base-url``: a separate model for the complex-QA ``QA`` tool
    (the paper used GPT-3.5/GPT-4 through an API); without a name the planner's model answers."""

    model: str | None = None
    backend: str | None = None
    base_url: str | None = None

    def load(self, default_backend: str, default_base_url: str | None) -> Model | None:
        if not self.model:
            if self.backend or self.base_url:
                raise ConfigError("--qa-backend/--qa-base-url need --qa-model (the QA model's name)")
            return None
        from lumos.models.registry import load_model

        backend = self.backend or (default_backend if default_backend in ("openai", "fake") else "openai")
        base_url = self.base_url or (default_base_url if backend == default_backend else None)
        return load_model(backend, self.model, **({"base_url": base_url} if base_url else {}))


def tool_options_for(domain: str, index: Path | None, qa_model: Model) -> dict[str, Any]:
    """Shared, loaded-once resources for the tools of ``domain`` (its ``tool_options`` hook: e.g. the QA
    domain's index and answer model)."""
    hook = get_domain(domain).load("tool_options")
    if hook is None:
        return {}
    options: dict[str, Any] = hook(index=index, qa_model=qa_model)
    return options
