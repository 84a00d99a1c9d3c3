"""Fuzzing every reader and parser (issue 27): arbitrary bytes, text and JSON values give rows or a clear lumos
error (a ConfigError, a ParseError: a :class:`~lumos.errors.LumosError`), never another exception."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lumos.errors import LumosError

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
json_objects = st.dictionaries(
    st.sampled_from(["id", "scores", "question", "answer", "trace", "task", "source", "messages", "benchmark", "method"])
    | st.text(max_size=8),
    json_values,
    max_size=6,
)


def _lines(values: list[Any]) -> bytes:
    return "".join(json.dumps(v) + "\n" for v in values).encode()


contents = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=400).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.lists(json_values, max_size=5).map(_lines),
    st.lists(json_objects, max_size=5).map(_lines),
    json_objects.map(lambda v: json.dumps(v).encode()),
)


def _records(path: Path) -> Any:
    from lumos.records import read_records

    return list(read_records(path, "--data"))


def _skipping(path: Path) -> Any:
    from lumos.records import read_jsonl

    return list(read_jsonl(path, "x", on_bad=lambda bad: None))


def _yaml(path: Path) -> Any:
    from lumos.records import read_yaml

    return read_yaml(path, "x")


def _json(path: Path) -> Any:
    from lumos.records import read_json

    return read_json(path, "x")


def _eval_data(path: Path) -> Any:
    from lumos.eval.benchmarks import get_benchmark, load_examples

    return load_examples(get_benchmark("svamp"), data=path)


def _sources(path: Path) -> Any:
    from lumos.annotate.sources import read_records

    return list(read_records(path))


def _annotations(path: Path) -> Any:
    from lumos.data.build import read_annotations

    return list(read_annotations([path]))


def _scores(path: Path) -> Any:
    from lumos.eval.stats import example_scores

    return example_scores(path.parent, "accuracy")


def _report(path: Path) -> Any:
    from lumos.eval.report import comparison_table, load_runs

    return comparison_table(load_runs([path.parent]))


def _resume(path: Path) -> Any:
    from lumos.eval.runner import PredictionStore

    store = PredictionStore(path.parent)
    store.close()
    return store.records


def _same_run(path: Path) -> Any:
    from lumos.eval.runner import check_same_run

    return check_same_run(path.parent, {"benchmark": "gsm8k", "method": "direct"})


def _view(path: Path) -> Any:
    from lumos.view.load import load_runs

    return load_runs([path.parent])


def _agent_config(path: Path) -> Any:
    from lumos.cli.options import agent_config, load_config_file

    return agent_config(load_config_file(path), {})


def _fake_script(path: Path) -> Any:
    from lumos.models.fake import _script

    return _script(str(path), None, 0.0)


def _prompt_style(path: Path) -> Any:
    from lumos.prompts.prompt_styles import PromptStyle

    return PromptStyle.from_yaml(path)


def _train_config(path: Path) -> Any:
    from lumos.train.config import TrainConfig

    return TrainConfig.from_sources(path, {"data": "x.jsonl"})


def _history(path: Path) -> Any:
    from lumos.cli.prompt import read_history

    return read_history(path)


def _training_rows(path: Path) -> Any:
    from lumos.train.trainer import read_conversations

    return read_conversations(path)


def _annotate_resume(path: Path) -> Any:
    from lumos.annotate.pipeline import done_ids

    return done_ids(path.parent)


READERS: dict[str, tuple[str, Callable[[Path], Any]]] = {
    "records": ("data.json", _records),
    "jsonl_skipping": ("data.jsonl", _skipping),
    "yaml": ("c.yaml", _yaml),
    "json": ("c.json", _json),
    "eval_data": ("svamp.json", _eval_data),
    "annotate_sources": ("rows.jsonl", _sources),
    "data_build": ("annotations.jsonl", _annotations),
    "report_scores": ("predictions.jsonl", _scores),
    "report_metrics": ("metrics.json", _report),
    "eval_resume": ("predictions.jsonl", _resume),
    "eval_config": ("config.json", _same_run),
    "view": ("predictions.jsonl", _view),
    "config_file": ("config.yaml", _agent_config),
    "fake_script": ("plan.json", _fake_script),
    "prompt_style": ("style.yaml", _prompt_style),
    "train_config": ("train.yaml", _train_config),
    "prompt_history": ("history.json", _history),
    "train_data": ("train.jsonl", _training_rows),
    "annotate_resume": ("annotations.jsonl", _annotate_resume),
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.parametrize("reader", sorted(READERS))
@FUZZ
@given(content=contents)
def test_readers_give_rows_or_a_clear_error(workdir: Path, reader: str, content: bytes) -> None:
    name, read = READERS[reader]
    folder = workdir / reader
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    path = folder / name
    path.write_bytes(content)
    with contextlib.suppress(LumosError):
        read(path)


@pytest.mark.parametrize("parser", ["parse_actions", "parse_plan", "parse_decision"])
@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300) | st.text(alphabet="R1=()[]{},;\"'\\:. SubgoalCalculator#\n", max_size=200))
def test_format_parsers_give_a_result_or_a_parse_error(parser: str, text: str) -> None:
    from lumos.format import parse

    with contextlib.suppress(LumosError):
        getattr(parse, parser)(text)
