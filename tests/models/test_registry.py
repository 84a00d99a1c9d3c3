"""The backend registry: lazy imports, built-ins, plugins and errors."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint
from typing import Any, ClassVar

import pytest

from lumos.errors import ConfigError
from lumos.models import registry
from lumos.models.base import Conversation, Generation, GenerationParams, Model
from lumos.models.default import DEFAULT_MODEL
from lumos.models.fake import FakeModel
from lumos.models.registry import available_backends, backend_class, load_model


def test_import_does_not_load_torch() -> None:
    code = (
        "import lumos, lumos.models.registry, lumos.models.hf, lumos.models.openai, lumos.models.fake, sys\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'transformers' not in sys.modules, 'transformers was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_builtins_are_known() -> None:
    names = available_backends()
    assert {"fake", "hf", "openai"} <= set(names)
    assert backend_class("fake") is FakeModel
    assert backend_class(" FAKE ") is FakeModel


def test_unknown_backend_lists_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown model backend 'nope'.*fake, hf, llamacpp, openai"):
        load_model("nope")


def test_openai_needs_a_model_name() -> None:
    with pytest.raises(ConfigError, match="needs a model name"):
        load_model("openai")


def test_unknown_option_is_reported() -> None:
    with pytest.raises(ConfigError, match="no option"):
        load_model("fake", colour="blue")


class _Recorder(Model):
    seen: ClassVar[dict[str, Any]] = {}

    def __init__(self, model: str, **options: Any) -> None:
        _Recorder.seen = {"model": model, **options}

    def generate(self, conversations: list[Conversation], params: GenerationParams) -> list[Generation]:  # type: ignore[override]
        return []


def test_hf_without_model_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    import lumos.models.hf as hf

    monkeypatch.setattr(hf, "HFModel", _Recorder)
    model = load_model("hf", batch_size=4)
    assert isinstance(model, _Recorder)
    assert _Recorder.seen == {"model": DEFAULT_MODEL, "batch_size": 4}


def test_plugin_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = {
        "mine": EntryPoint(
            name="mine", value="lumos.models.fake:FakeModel", group=registry.ENTRY_POINT_GROUP
        ),
        "broken": EntryPoint(
            name="broken", value="no_such_module_xyz:Model", group=registry.ENTRY_POINT_GROUP
        ),
        "fake": EntryPoint(name="fake", value="stale_module:Gone", group=registry.ENTRY_POINT_GROUP),
    }
    monkeypatch.setattr(registry, "_plugin_entry_points", lambda: plugins)
    assert "mine" in available_backends()
    assert isinstance(load_model("mine", default="hi"), FakeModel)
    assert backend_class("fake") is FakeModel  # a stale entry point never hides the built-in
    with pytest.raises(ConfigError, match="could not be imported"):
        load_model("broken")
