"""Connecting to Ray: ``local`` starts a Ray instance in this process, ``auto`` joins the cluster that
``ray start --head`` began on this machine, and any other address (``HOST:6379``, ``ray://HOST:10001``) is
handed to ``ray.init`` as it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lumos.errors import ConfigError, MissingDependencyError

LOCAL = "local"


@dataclass(frozen=True)
class RayPlan:
    """Where and how wide a run goes on Ray.

    ``workers``: actors (None: one per CPU of the cluster); ``cpus`` and ``gpus``: what each actor reserves
    (a GPU for a model loaded per actor); ``retries``: how many times a batch whose worker died is run again.
    """

    address: str = LOCAL
    workers: int | None = None
    cpus: float = 1.0
    gpus: float = 0.0
    retries: int = 3

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise ConfigError(f"--ray-workers must be at least 1, not {self.workers}")
        if self.cpus < 0 or self.gpus < 0:
            raise ConfigError("the CPUs and GPUs of a Ray worker cannot be negative")
        if self.retries < 0:
            raise ConfigError(f"retries cannot be negative, not {self.retries}")


def import_ray() -> Any:
    """The ``ray`` module, or a :class:`MissingDependencyError` naming the install command."""
    try:
        import ray
    except ImportError as exc:
        raise MissingDependencyError("ray", "ray", "--ray (evaluation and annotation on a Ray cluster)") from exc
    return ray


def connect(address: str) -> tuple[Any, bool]:
    """``(ray, started)``: Ray connected to ``address``; ``started`` when this call started it (the caller
    then shuts it down). An instance already running in this process (``ray.init`` by the caller) is used."""
    ray = import_ray()
    if ray.is_initialized():
        return ray, False
    try:
        if address == LOCAL:
            ray.init(include_dashboard=False, configure_logging=False)
        else:
            ray.init(address=address, configure_logging=False)
    except ConnectionError as exc:
        raise ConfigError(
            f"--ray {address}: no Ray cluster answered ({exc}); start one with `ray start --head`, or give "
            "--ray local for a Ray instance in this process"
        ) from exc
    return ray, True


def cluster_cpus(ray: Any) -> int:
    """Whole CPUs of the connected cluster (at least 1)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))
