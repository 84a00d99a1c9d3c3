"""A domain is one object in one folder: its tools, prompt text, demonstrations, benchmarks, annotation
sources and (optionally) an environment, registered under the entry-point group ``lumos.domains``.

The core (agent, prompts, eval, annotate, data, CLI) reads everything domain-specific from a :class:`Domain`
and never names one. Python objects are given as ``"module:attr"`` strings and imported only when used, so
listing domains stays light. Data lies beside the domain's package:

* ``examples.yaml``: in-context demonstrations (annotations in the unified format),
* ``benchmarks.yaml``: ``lumos eval`` benchmarks (fields of :class:`lumos.eval.benchmarks.Benchmark`),
* ``styles.yaml``: prompt text by style name (``lumos``, ``reference``...) and field, merged into those
  styles (e.g. the grounder's tool list of the ``reference`` style),
* ``adapters/``: trained modules of the embedded model that ship with the domain (PEFT LoRA folders):
  ``plan-FORMULATION`` and ``ground-FORMULATION`` for the Lumos agent, ``direct-iterative`` for the flat one
  (which an environment domain may make its default agent: ``default_agent="flat"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any

import yaml

from lumos.errors import ConfigError
from lumos.registry import Registry, load_attr

ENTRY_POINT_GROUP = "lumos.domains"
DEFAULT_DOMAIN = "maths"
"""The domain of `lumos run`, `lumos exec` and `AgentConfig` when none is named."""
AGENTS = ("lumos", "flat")
"""The agents ``lumos run`` builds: ``lumos`` (planner + grounder) and ``flat`` (one model writes each next
action on an environment's pages: :class:`lumos.agent.flat.FlatAgent`)."""
FLAT_ADAPTER = "direct-iterative"
"""The folder under ``adapters/`` of a domain's trained flat model (named after its ``lumos eval`` method)."""


@dataclass(frozen=True)
class Domain:
    """Everything lumos needs to know about one kind of task."""

    name: str
    tools: Mapping[str, str]
    """The grounder's tools in prompt order: tool name -> ``"module:ToolClass"``."""
    package: str = ""
    """The domain's package (where ``examples.yaml``, ``benchmarks.yaml`` and ``styles.yaml`` lie)."""
    description: str = ""
    install: str = ""
    """How to install what the domain needs beyond lumos, e.g. ``pip install 'lumos-agents[EXTRA]'`` with the
    extra that names its dependencies."""
    sources: tuple[str, ...] = ()
    """Modules that register annotation sources (:func:`lumos.annotate.sources.register_source`)."""
    environment: str | None = None
    """``"module:attr"`` of ``open(task, options) -> ContextManager[Episode]`` (:mod:`lumos.env`); None: the
    task is plain text."""
    environment_help: str = ""
    """What ``lumos run`` takes as the task and which ``--env KEY=VALUE`` options the environment reads."""
    tool_options: str | None = None
    """``"module:attr"`` of ``options(index=..., qa_model=...) -> dict``: loaded-once resources for the tools."""
    make_agent: str | None = None
    """``"module:attr"`` building the agent itself (``(planner, grounder, config, style, tool_options)``)."""
    default_agent: str = "lumos"
    """The agent ``lumos run`` builds unless told (``--agent``): ``lumos`` (planner + grounder) or ``flat`` (one
    model writes each next action; a domain with an ``environment`` only, shipping its trained flat model in
    ``adapters/direct-iterative``)."""
    hooks: Mapping[str, str] = field(default_factory=dict)
    """Hooks by name: ``final_answer`` (``(trajectory, executor, question) -> str | None``), the answer of
    Lumos-I's ``final_qa`` setting; ``training_filter`` (``(annotation) -> str | None``), why ``lumos data
    build`` may not train on an annotation (a held-out task), None where it may; ``task_groups`` (``() ->
    {group: [task, ...]}``), how ``lumos report`` splits an environment benchmark's tasks."""
    demo_inputs: str | None = None
    """``"module:attr"`` of ``(out) -> list[Path]``: built-in annotation folders for ``lumos data build``."""
    data_domains: tuple[str, ...] = ()
    """Other domains whose annotations ``lumos data build --domain NAME`` takes too (same tools)."""
    answerless: bool = False
    """Annotations have no answer: ``data build`` writes only the planner and grounder files."""
    verify_by_execution: bool = False
    """``lumos annotate`` executes an annotation's actions and checks the gold answer."""
    teacher_results: bool = False
    """The teacher writes a ``Result:`` line per subgoal (results that the tools cannot compute offline)."""
    observe_first: bool = False
    """The planner's first turn shows the environment's page before any action (``env.observation()``),
    as an annotation's ``observation`` (the task of a live page often names what only the page shows)."""
    commands: Mapping[str, str] = field(default_factory=dict)
    """Extra CLI commands: ``{"env": "module:function"}`` adds ``lumos env NAME`` (a typer command)."""
    agent_defaults: Mapping[str, Any] = field(default_factory=dict)
    """Agent settings (``AgentConfig`` fields) this domain's tasks need unless a config file or a flag says
    otherwise, e.g. ``{"max_rounds": 30}`` where an episode takes dozens of actions."""

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ConfigError(f"domain name {self.name!r} must be an identifier")
        if not self.tools:
            raise ConfigError(f"domain {self.name!r} has no tools")
        if self.default_agent not in AGENTS:
            raise ConfigError(
                f"domain {self.name!r}: default_agent {self.default_agent!r} is not one of: {', '.join(AGENTS)}"
            )
        if self.default_agent == "flat" and not self.environment:
            raise ConfigError(
                f"domain {self.name!r}: default_agent 'flat' needs an environment (the flat agent acts on its "
                "pages); give the domain one or use default_agent='lumos'"
            )

    # ----------------------------------------------------------------------------------- data files

    def _file(self, name: str) -> Any:
        if not self.package:
            return None
        path = resources.files(self.package).joinpath(name)
        return yaml.safe_load(path.read_text()) if path.is_file() else None

    @cached_property
    def examples(self) -> tuple[dict[str, Any], ...]:
        """The in-context demonstrations (annotation fields) of ``examples.yaml``."""
        return tuple(self._file("examples.yaml") or ())

    @cached_property
    def benchmark_specs(self) -> dict[str, dict[str, Any]]:
        """``benchmarks.yaml``: benchmark name -> its fields (``domain`` defaults to this domain)."""
        specs = self._file("benchmarks.yaml") or {}
        return {name: {"domain": self.name, **spec} for name, spec in specs.items()}

    @cached_property
    def styles(self) -> dict[str, dict[str, str]]:
        """``styles.yaml``: style name -> prompt field -> this domain's text."""
        return {str(k): {str(f): str(t) for f, t in v.items()} for k, v in (self._file("styles.yaml") or {}).items()}

    def shipped_adapters(self, formulation: str) -> tuple[str, str] | None:
        """The trained planner and grounder that ship in the domain's package (``adapters/plan-FORMULATION``
        and ``adapters/ground-FORMULATION``, each a PEFT LoRA folder): the embedded model's default modules for
        this domain. None where the package ships none (the base model is then driven few-shot)."""
        plan, ground = self._shipped(f"plan-{formulation}"), self._shipped(f"ground-{formulation}")
        return (plan, ground) if plan and ground else None

    def shipped_flat_adapter(self) -> str | None:
        """The trained flat model that ships in the domain's package (``adapters/direct-iterative``, a PEFT
        LoRA folder): the embedded model's adapter for the flat agent. None where the package ships none."""
        return self._shipped(FLAT_ADAPTER)

    def _shipped(self, folder: str) -> str | None:
        """``adapters/FOLDER`` of the package where it holds an adapter (``adapter_config.json``)."""
        if not self.package:
            return None
        path = resources.files(self.package).joinpath("adapters").joinpath(folder)
        return str(path) if path.joinpath("adapter_config.json").is_file() else None

    # ---------------------------------------------------------------------------------------- hooks

    def hook(self, name: str) -> Any:
        """The agent hook ``name`` (None where the domain has none)."""
        target = self.hooks.get(name)
        return load_attr(target) if target else None

    def load(self, what: str) -> Any:
        """The object behind one of the ``"module:attr"`` fields (``environment``, ``make_agent``...)."""
        target = getattr(self, what)
        if not target:
            return None
        try:
            return load_attr(target)
        except ImportError as exc:
            hint = f" ({self.install})" if self.install else ""
            raise ConfigError(f"domain {self.name!r} cannot load its {what}: {exc}{hint}") from exc


domains: Registry[Domain] = Registry(
    "domain", ENTRY_POINT_GROUP, package="lumos.domains", attr="DOMAIN", check=lambda d: isinstance(d, Domain)
)
"""Every domain: entry points of ``lumos.domains`` and the packages of ``lumos.domains``."""


def get_domain(name: str) -> Domain:
    return domains.get(name)


def domain_names() -> list[str]:
    return domains.names()
