"""One lazy registry: named objects given as ``"module:attr"`` strings, found in an entry-point group.

Nothing is imported until an object is asked for by name, so ``import lumos`` and listing names stay light
(no torch). Entry points are how plug-ins add backends, tools and domains; a ``package`` folder can also be
scanned for sub-packages holding an attribute (the built-in domains, so they are found even when the
installed entry points are stale).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from lumos.errors import ConfigError

T = TypeVar("T")


def load_attr(target: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute (the module without ``:attr``)."""
    module_name, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        if part:
            obj = getattr(obj, part)
    return obj


class Registry(Generic[T]):
    """Objects of one ``kind`` by name: registered here, from the entry-point ``group``, or (last) found by
    scanning the sub-packages of ``package`` for ``attr`` (whose ``name`` attribute is the key)."""

    def __init__(
        self,
        kind: str,
        group: str | None = None,
        *,
        package: str | None = None,
        attr: str | None = None,
        check: Callable[[Any], bool] | None = None,
    ) -> None:
        self.kind, self.group, self.package, self.attr = kind, group, package, attr
        self._check = check
        self._targets: dict[str, str | T] = {}
        self._loaded: dict[str, T] = {}
        self._found = False

    def register(self, name: str, target: str | T) -> None:
        """Add (or replace) ``name``: an object or its ``"module:attr"`` path."""
        self._targets[name] = target
        self._loaded.pop(name, None)

    def unregister(self, name: str) -> None:
        self._targets.pop(name, None)
        self._loaded.pop(name, None)

    def refresh(self) -> None:
        """Look at the entry points (and the package) again, e.g. after a plug-in was installed."""
        self._found = False

    def _discover(self) -> None:
        if self._found:
            return
        self._found = True
        if self.group:
            try:
                found = list(entry_points(group=self.group))
            except Exception:  # a broken distribution's metadata must not break lumos
                found = []
            for ep in found:
                self._targets.setdefault(ep.name, ep.value)
        if self.package and self.attr:
            for obj in self._scan():
                self._targets.setdefault(str(obj.name), obj)

    def _scan(self) -> Iterator[Any]:
        """The ``attr`` of each sub-package of ``package`` that no entry point already points at."""
        assert self.package is not None and self.attr is not None
        try:
            pkg = importlib.import_module(self.package)
        except ImportError:
            return
        named = {str(t).partition(":")[0] for t in self._targets.values() if isinstance(t, str)}
        for info in pkgutil.iter_modules(getattr(pkg, "__path__", [])):
            module = f"{self.package}.{info.name}"
            if info.ispkg and module not in named:
                obj = getattr(importlib.import_module(module), self.attr, None)
                if obj is not None:
                    yield obj

    def names(self) -> list[str]:
        self._discover()
        return sorted(self._targets)

    def __contains__(self, name: object) -> bool:
        self._discover()
        return name in self._targets

    def get(self, name: str) -> T:
        """The object registered as ``name`` (imported on first use)."""
        if name in self._loaded:
            return self._loaded[name]
        self._discover()
        if name not in self._targets:
            known = ", ".join(self.names()) or "none"
            raise ConfigError(f"unknown {self.kind} {name!r}; known: {known}")
        target = self._targets[name]
        if isinstance(target, str):
            try:
                obj = load_attr(target)
            except (ImportError, AttributeError) as exc:
                raise ConfigError(f"the {self.kind} {name!r} ({target}) could not be loaded: {exc}") from exc
        else:
            obj = target
        if self._check is not None and not self._check(obj):
            raise ConfigError(f"the {self.kind} {name!r} ({target}) is not a {self.kind}")
        self._loaded[name] = obj
        return obj

    def target(self, name: str) -> str | T:
        """What ``name`` was registered as, without importing it."""
        self._discover()
        return self._targets[name]

    def all(self) -> list[T]:
        return [self.get(n) for n in self.names()]
