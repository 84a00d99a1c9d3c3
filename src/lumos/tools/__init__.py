"""The execution module: tools, their registry, and the executor."""

from lumos.tools.base import ExecutionContext, Tool, ToolRegistry, registry

__all__ = ["ExecutionContext", "Tool", "ToolRegistry", "registry"]
