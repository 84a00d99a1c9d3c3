"""``--ray``: the options that send ``lumos eval`` and ``lumos annotate`` to a Ray cluster, and the picklable
recipe from which each Ray worker builds its own models and method."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from lumos.agent.agent import AgentConfig
from lumos.cli.options import ModelSetup, QAModelOptions, close_models, load_setup, tool_options_for
from lumos.eval.methods import Method, make_method
from lumos.eval.protocol import EvalProtocol
from lumos.models.base import Model
from lumos.prompts.prompt_styles import PromptStyle
from lumos.scale.cluster import RayPlan

RayOption = Annotated[
    Optional[str],
    typer.Option(
        help="run on Ray: --ray alone or --ray local (a Ray instance here), --ray auto (the cluster `ray start "
        "--head` began), or a cluster ADDRESS; the run directory is the same as a local run's"
    ),
]
RayWorkersOption = Annotated[
    Optional[int], typer.Option(help="--ray: how many workers (default: one per CPU of the cluster)")
]
RayGpusOption = Annotated[
    float, typer.Option(help="--ray: GPUs each worker reserves (for models loaded per worker)")
]


def ray_plan(address: str | None, workers: int | None, gpus: float = 0.0) -> RayPlan | None:
    """The Ray plan of the command's options; None without ``--ray``."""
    if address is None:
        return None
    return RayPlan(address=address, workers=workers, gpus=gpus)


@dataclass
class EvalMethodRecipe:
    """How a worker builds the method of one ``lumos eval`` run: called once in each Ray actor."""

    name: str
    setup: ModelSetup
    agent: AgentConfig
    style: PromptStyle
    protocol: EvalProtocol
    parallel: int = 32
    index: Path | None = None
    qa: QAModelOptions = field(default_factory=QAModelOptions)
    qa_default_backend: str = "auto"
    unsafe_code: bool = False
    models: list[Model] = field(default_factory=list, repr=False)

    def __call__(self) -> Method:
        if self.unsafe_code:  # the driver's choice holds in each worker process too
            from lumos.sandbox import allow_unsafe_code

            allow_unsafe_code()
        planner, grounder = load_setup(self.setup, parallel=self.parallel)
        qa_model = self.qa.load(self.qa_default_backend, self.setup.base_url)
        self.models = [planner, grounder, *([qa_model] if qa_model is not None else [])]
        tools = tool_options_for(self.agent.domain, self.index, qa_model or planner)
        return make_method(self.name, planner, grounder, self.agent, tools, style=self.style, protocol=self.protocol)

    def close(self) -> None:
        close_models(*self.models)
        self.models = []

    def __getstate__(self) -> dict[str, Any]:  # loaded models stay in the process that loaded them
        return {**self.__dict__, "models": []}


@dataclass(frozen=True)
class TeacherModelRecipe:
    """``lumos annotate --teacher``'s model: built in this process, or once in each Ray worker."""

    backend: str
    name: str
    base_url: str | None = None

    def __call__(self) -> Model:
        from lumos.models.registry import load_model

        if self.backend == "openai":
            from lumos.models.openai import OpenAIModel

            return OpenAIModel(self.name, base_url=self.base_url, concurrency=1)
        if self.backend == "hf":
            return load_model("hf", self.name)
        return load_model(self.backend, self.name, **({"base_url": self.base_url} if self.base_url else {}))
