"""Find a backend by name and build a model: ``load_model("hf")``, ``load_model("openai", "gpt-4o-mini")``.

Backends are the entry points of the group ``lumos.backends`` (a plugin package adds its own there) plus a
built-in table, so the shipped backends work even when the installed entry points are stale. Nothing heavy is
imported until a backend is asked for: importing this module does not import torch.
"""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from lumos.errors import ConfigError, MissingDependencyError
from lumos.models.base import Model

ENTRY_POINT_GROUP = "lumos.backends"

BUILTIN_BACKENDS: dict[str, str] = {
    "fake": "lumos.models.fake:FakeModel",
    "hf": "lumos.models.hf:HFModel",
    "llamacpp": "lumos.models.llamacpp:LlamaCppModel",
    "openai": "lumos.models.openai:OpenAIModel",
}

_EXTRAS = {"hf": "hf"}


def _plugin_entry_points() -> dict[str, EntryPoint]:
    try:
        found = entry_points(group=ENTRY_POINT_GROUP)
    except Exception:  # a broken distribution's metadata must not break lumos
        return {}
    return {ep.name: ep for ep in found}


def available_backends() -> dict[str, str]:
    """Every known backend name and where it lives (``module:attribute``)."""
    table = {name: ep.value for name, ep in _plugin_entry_points().items()}
    table.update(BUILTIN_BACKENDS)  # the built-in names always mean the shipped classes
    return dict(sorted(table.items()))


def backend_class(backend: str) -> type[Model]:
    """Import and return the class behind a backend name."""
    name = backend.strip().lower()
    target = BUILTIN_BACKENDS.get(name)
    if target is None:
        plugins = _plugin_entry_points()
        if name not in plugins:
            known = ", ".join(available_backends())
            raise ConfigError(
                f"unknown model backend {backend!r}; known backends: {known} "
                f"(plugins add more under the {ENTRY_POINT_GROUP!r} entry-point group)"
            )
        target = plugins[name].value
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except MissingDependencyError:
        raise
    except ImportError as exc:
        if name not in BUILTIN_BACKENDS:
            raise ConfigError(f"the backend plugin {name!r} ({target}) could not be imported: {exc}") from exc
        missing = exc.name or module_name
        raise MissingDependencyError(missing, _EXTRAS.get(name, "hf"), f"the {name!r} backend") from exc
    obj: Any = module
    for part in (attr or "").split("."):
        if part:
            obj = getattr(obj, part)
    if not (inspect.isclass(obj) and issubclass(obj, Model)) and not callable(obj):
        raise ConfigError(f"backend {backend!r} points at {target!r}, which is not a Model class")
    return obj


def load_model(backend: str, model: str | None = None, **options: Any) -> Model:
    """Build a model of ``backend`` named ``model`` with backend-specific ``options``.

    * ``load_model("hf")``: the embedded default (SmolLM2-135M-Instruct); ``load_model("hf", "path/or/hub-id")``.
    * ``load_model("openai", "my-model", base_url="http://localhost:8000/v1")``.
    * ``load_model("fake", responses=["..."])``: ``model`` becomes the fake's name.
    """
    cls = backend_class(backend)
    kind = backend.strip().lower()
    if model is None and kind == "hf":
        from lumos.models.default import DEFAULT_MODEL

        model = DEFAULT_MODEL
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        signature = None
    params = signature.parameters if signature is not None else {}
    if model is not None:
        if "model" in params:
            options["model"] = model
        elif "name" in params and "name" not in options:
            options["name"] = model
        else:
            raise ConfigError(f"backend {backend!r} takes no model name, but {model!r} was given")
    elif "model" in params and params["model"].default is inspect.Parameter.empty:
        raise ConfigError(f"backend {backend!r} needs a model name: load_model({backend!r}, 'MODEL', ...)")
    if signature is not None and not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        unknown = sorted(set(options) - set(params))
        if unknown:
            allowed = ", ".join(p for p in params if p not in ("self", "model"))
            raise ConfigError(
                f"backend {backend!r} has no option(s) {', '.join(unknown)}; its options: {allowed}"
            )
    return cls(**options)
