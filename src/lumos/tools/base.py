"""The execution module's tool interface and registry.

A tool is a class checked when it is defined (name, description, signature), as in smolagents. An instance
lives for one episode (one task) and may keep state there (a web page, a shop session); :meth:`Tool.reset`
starts a new episode. Tools receive the action's raw argument text and an :class:`ExecutionContext` that
holds the earlier results (``R1``...), and return one value per output variable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lumos.domain import domains
from lumos.errors import ConfigError, ToolError, UndefinedVariableError
from lumos.registry import Registry

_IDENT = re.compile(r"^[A-Za-z_]\w*$")
VARIABLE = re.compile(r"\b(R\d+|Output)\b")


@dataclass
class ExecutionContext:
    """The variables of one episode (``R1`` -> value), the task's environment, and free-form per-episode
    state for tools.

    Before each action the executor sets ``state["outputs"]`` (the action's output variable names, which a
    tool with ``outputs = None`` uses to return as many values) and ``state["time_limit"]`` (seconds)."""

    variables: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    env: Any = None
    """The task's environment (a web page, a shop session; None for text-only tasks): tools act on it."""
    details: dict[str, Any] = field(default_factory=dict)
    """What a tool wants recorded on the current action's result (ranked candidates, a screenshot path...);
    the executor empties it before each action and moves it onto :attr:`ActionResult.details`."""

    def lookup(self, name: str) -> Any:
        if name not in self.variables:
            known = ", ".join(self.variables) or "none yet"
            raise UndefinedVariableError(f"{name} is not defined by an earlier action (defined: {known})")
        return self.variables[name]

    def substitute_text(self, text: str, render: Callable[[Any], str] = str) -> str:
        """Replace every ``R<n>`` in free text by its value rendered as text (for text-taking tools)."""
        return VARIABLE.sub(lambda m: render(self.lookup(m.group(1))), text)


class Tool:
    """Base class of every tool. Subclasses set ``name``, ``description``, ``signature`` and implement
    :meth:`run`. ``outputs`` is how many values the tool returns (``None``: as many as the action asks)."""

    name: ClassVar[str]
    description: ClassVar[str]
    signature: ClassVar[str]
    outputs: ClassVar[int | None] = 1
    time_limit: ClassVar[float] = 5.0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("__abstract__", False):  # only the class that says so, not its subclasses
            return
        for attr in ("name", "description", "signature"):
            value = getattr(cls, attr, None)
            if not isinstance(value, str) or not value.strip():
                raise TypeError(f"tool class {cls.__name__} must set a non-empty string '{attr}'")
        if not _IDENT.match(cls.name):
            raise TypeError(f"tool name {cls.name!r} of {cls.__name__} is not an identifier")
        if not cls.signature.startswith(cls.name + "("):
            raise TypeError(f"signature {cls.signature!r} of tool {cls.name} must start with '{cls.name}('")
        if cls.run is Tool.run:
            raise TypeError(f"tool class {cls.__name__} must implement run()")

    def reset(self) -> None:
        """Start a new episode. Stateless tools need not override this."""

    def load(self) -> None:
        """Load heavy resources (model weights) once. The executor calls it before each action's time limit
        starts, so a first action is not cut off while a model loads; later calls must be cheap."""

    def run(self, args: str, ctx: ExecutionContext) -> Any | tuple[Any, ...]:
        """Execute on the raw argument text; return a value, or a tuple for several outputs."""
        raise NotImplementedError

    def render(self, value: Any) -> str:
        """How a result is shown to the planner and written to traces."""
        return str(value)

    def describe(self) -> str:
        return f"{self.signature}: {self.description}"


class ToolRegistry:
    """Tools by name, lazily loaded: the tools of every domain (:class:`lumos.domain.Domain`), plugins of the
    entry-point group ``lumos.tools`` (``name = "package.module:ToolClass"``) and tools registered here.
    A domain's tool set is its ``tools``; :meth:`define_domain` adds an ad-hoc one."""

    def __init__(self) -> None:
        self._tools = Registry[type[Tool]](
            "tool", "lumos.tools", check=lambda c: isinstance(c, type) and issubclass(c, Tool)
        )
        self._domains: dict[str, list[str]] = {}
        self._domain_tools_loaded: set[str] = set()

    def register(self, tool: str | type[Tool], name: str | None = None) -> None:
        if isinstance(tool, str):
            if name is None:
                raise ValueError("registering a tool by import path needs its name")
            self._tools.register(name, tool)
        else:
            self._tools.register(name or tool.name, tool)

    def define_domain(self, domain: str, tool_names: Iterable[str]) -> None:
        self._domains[domain] = list(tool_names)

    def _load_domain_tools(self, names: Iterable[str]) -> None:
        for name in names:
            if name in self._domain_tools_loaded:
                continue
            self._domain_tools_loaded.add(name)
            for tool, target in domains.get(name).tools.items():
                if tool not in self._tools:
                    self._tools.register(tool, target)

    def get(self, name: str) -> type[Tool]:
        if name not in self._tools:
            self._load_domain_tools(domains.names())
        if name not in self._tools:
            raise ConfigError(f"unknown tool {name!r}; known tools: {', '.join(self._tools.names())}")
        return self._tools.get(name)

    def domain(self, domain: str) -> list[str]:
        if domain in self._domains:
            return list(self._domains[domain])
        if domain not in domains:
            raise ConfigError(f"unknown domain {domain!r}; choose one of: {', '.join(self.domains)}")
        self._load_domain_tools([domain])
        return list(domains.get(domain).tools)

    @property
    def domains(self) -> list[str]:
        return sorted({*self._domains, *domains.names()})

    def instantiate(self, domain: str, **options: Any) -> list[Tool]:
        """Fresh tool instances for one agent run of ``domain`` (options go to tools that accept them)."""
        tools = []
        for name in self.domain(domain):
            cls = self.get(name)
            accepted = getattr(cls, "options", ())
            tools.append(cls(**{k: v for k, v in options.items() if k in accepted}))
        return tools


registry = ToolRegistry()


def check_output_count(tool: Tool, outputs: list[str], value: Any) -> tuple[Any, ...]:
    """Match a tool's return value to the action's output variables."""
    values = value if isinstance(value, tuple) else (value,)
    if outputs and len(values) != len(outputs):
        raise ToolError(
            f"{tool.name} gave {len(values)} value(s) but the action assigns {len(outputs)} ({', '.join(outputs)})"
        )
    return values
