"""lumos: modular open-source language agents (planning, grounding, execution), after Agent Lumos.

``import lumos`` stays light: heavy modules (torch, transformers) load only when a backend needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Agent": "lumos.agent.agent",
    "AgentConfig": "lumos.agent.agent",
    "Action": "lumos.format.types",
    "Subgoal": "lumos.format.types",
    "Step": "lumos.format.types",
    "Trajectory": "lumos.format.types",
    "load_model": "lumos.models.registry",
}

if TYPE_CHECKING:
    from lumos.agent.agent import Agent, AgentConfig
    from lumos.format.types import Action, Step, Subgoal, Trajectory
    from lumos.models.registry import load_model


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lumos' has no attribute {name!r}")


__all__ = ["Action", "Agent", "AgentConfig", "Step", "Subgoal", "Trajectory", "__version__", "load_model"]
