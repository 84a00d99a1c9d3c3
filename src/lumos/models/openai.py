"""Any OpenAI-compatible server: vLLM, llama.cpp's server, ``transformers serve``, OpenAI itself.

Talks HTTP with httpx directly (no ``openai`` package): a batch of conversations is sent as concurrent
requests (at most ``concurrency`` in flight), each retried with exponential back-off and jitter on 429, 5xx,
timeouts, dropped connections and malformed replies (``Retry-After`` is respected). Results come back in input
order. Configuration problems (a wrong key, URL or model name) raise :class:`~lumos.errors.BackendError` at
once with a message saying which.

Several servers of the same model (``base_url="http://a:8000/v1,http://b:8000/v1"``, or ``"@servers.txt"``
with one URL a line) share the requests: each goes to the server with the fewest in flight. A server that
cannot be reached (refused, dropped or timed-out connections) is taken out for ``server_cooldown`` seconds
and its requests go to the others at once; when every server is out, the request fails with a
:class:`~lumos.errors.BackendError` naming them (a resumable run then resumes later where it stopped).

    model = OpenAIModel("ai2lumos/lumos_maths_plan_iterative", base_url="http://localhost:8000/v1")
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from lumos.errors import BackendError, ConfigError
from lumos.models.base import (
    Conversation,
    Generation,
    GenerationParams,
    Model,
    apply_end_check,
    truncate_at_stop,
)
from lumos.models.templates import defuse_markers, render_tulu, split_continuation

DEFAULT_BASE_URL = "https://api.openai.com/v1"
MAX_API_STOPS = 4  # OpenAI rejects more; the rest are applied locally
_RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524, 529})


class _Retryable(Exception):
    """A failure worth another try; ``wait`` is the server's Retry-After, if any; ``unreachable`` when the
    server did not answer at all (so another server should take the request)."""

    def __init__(self, message: str, wait: float | None = None, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.wait = wait
        self.unreachable = unreachable


@dataclass
class _Server:
    """One server of the model: its URL, requests in flight, and until when it is out (monotonic time)."""

    url: str
    in_flight: int = 0
    sent: int = 0
    out_until: float = 0.0


def parse_base_urls(value: str | None) -> list[str]:
    """The server URLs of ``base_url``: one URL, several comma-separated, or ``@FILE`` (one a line, ``#``
    comments); default ``$OPENAI_BASE_URL``, else OpenAI's."""
    text = (value or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).strip()
    if text.startswith("@"):
        path = Path(text[1:]).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"base_url {text!r}: cannot read the server list ({exc})") from exc
        items = [line.split("#", 1)[0].strip() for line in lines]
    else:
        items = [part.strip() for part in text.split(",")]
    urls = [item.rstrip("/") for item in items if item]
    if not urls:
        raise ConfigError(f"base_url {text!r} names no server")
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"base_url must start with http:// or https://, not {url!r}")
    return list(dict.fromkeys(urls))


class OpenAIModel(Model):
    """A model behind an OpenAI-compatible HTTP API.

    Args:
        model: the model name the server knows.
        base_url: the API root, e.g. ``http://localhost:8000/v1``; several, comma-separated or ``@FILE``, share
            the requests; default ``$OPENAI_BASE_URL``, else OpenAI's.
        api_key: default ``$OPENAI_API_KEY``, else ``"EMPTY"`` (what local servers accept).
        concurrency: most requests in flight at once.
        max_retries: retries per request after the first try (so ``max_retries + 1`` tries at most).
        timeout: seconds per HTTP request.
        use_chat: ``True`` posts to ``/chat/completions`` (the server applies its chat template); ``False`` posts
            to ``/completions`` with the conversation rendered as Tulu turns (what the released Lumos checkpoints
            expect when served without a chat template).
        backoff: the first retry's delay in seconds; it doubles per retry (with jitter), capped at
            ``max_backoff``.
        server_cooldown: seconds a server that could not be reached is left out before it is tried again.

    ``Generation.seconds`` is each request's own latency, retries included.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        concurrency: int = 8,
        max_retries: int = 5,
        timeout: float = 60.0,
        use_chat: bool = True,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        server_cooldown: float = 30.0,
    ) -> None:
        if not model:
            raise ConfigError("OpenAIModel needs a model name (the name the server serves)")
        if concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, not {concurrency}")
        if max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, not {max_retries}")
        if timeout <= 0:
            raise ConfigError(f"timeout must be positive, not {timeout}")
        urls = parse_base_urls(base_url)
        self.name = model
        self.model = model
        self.base_url = urls[0]
        self.base_urls = urls
        self._servers = [_Server(url) for url in urls]
        self.server_cooldown = server_cooldown
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.timeout = timeout
        self.use_chat = use_chat
        self.backoff = backoff
        self.max_backoff = max_backoff

    def __repr__(self) -> str:
        return f"OpenAIModel({self.model!r}, base_url={','.join(self.base_urls)!r})"

    @property
    def endpoint(self) -> str:
        return self._endpoint(self.base_url)

    def _endpoint(self, base_url: str) -> str:
        return f"{base_url}/chat/completions" if self.use_chat else f"{base_url}/completions"

    @property
    def requests_per_server(self) -> dict[str, int]:
        """How many requests each server was sent (retries included)."""
        return {s.url: s.sent for s in self._servers}

    # -- the batch API ------------------------------------------------------------------------------------

    def generate(self, conversations: Sequence[Conversation], params: GenerationParams) -> list[Generation]:
        if not conversations:
            return []
        bodies = [self._body(c, params) for c in conversations]
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._run_all(bodies, params))
        # Called from inside an event loop (a notebook, an async app): run ours in a worker thread.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, self._run_all(bodies, params)).result()

    async def agenerate(
        self, conversations: Sequence[Conversation], params: GenerationParams
    ) -> list[Generation]:
        """The same as :meth:`generate`, for callers already in an event loop."""
        if not conversations:
            return []
        return await self._run_all([self._body(c, params) for c in conversations], params)

    def _body(self, conversation: Conversation, params: GenerationParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
        }
        head, start = split_continuation(conversation)
        if self.use_chat:
            # the server parses the template's markers in the text it renders: defuse them in ours
            body["messages"] = [
                {"role": m["role"], "content": m["content"]} for m in defuse_markers(conversation)
            ]
            if start:  # continue the final assistant message (vLLM's and SGLang's extension of the API)
                body["continue_final_message"] = True
                body["add_generation_prompt"] = False
        else:
            body["prompt"] = render_tulu(head) + start
        stops = [s for s in params.stop if s][:MAX_API_STOPS]
        if stops:
            body["stop"] = stops
        if params.seed is not None:
            body["seed"] = params.seed
        return body

    async def _run_all(self, bodies: list[dict[str, Any]], params: GenerationParams) -> list[Generation]:
        limit = asyncio.Semaphore(self.concurrency)
        headers = {"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"}
        n = self.concurrency * len(self._servers)
        pool = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(headers=headers, timeout=self.timeout, limits=pool) as client:

            async def one(body: dict[str, Any]) -> Generation:
                async with limit:
                    return await self._request(client, body, params)

            tasks = [asyncio.ensure_future(one(b)) for b in bodies]
            try:
                return list(await asyncio.gather(*tasks))
            finally:
                for task in tasks:  # a fatal error in one request stops the others
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    # -- one request --------------------------------------------------------------------------------------

    async def _request(
        self, client: httpx.AsyncClient, body: dict[str, Any], params: GenerationParams
    ) -> Generation:
        started = time.perf_counter()
        url = self.endpoint
        last = ""
        attempt = 0
        while attempt <= self.max_retries:
            server = self._pick()
            if server is None:  # every server is out: wait for the first to come back, as a retry
                if attempt == self.max_retries:
                    last = f"all {len(self._servers)} servers are out; the last error: {last}"
                    break
                soonest = min(s.out_until for s in self._servers) - time.monotonic()
                await asyncio.sleep(min(max(soonest, 0.0), self._delay(attempt, None)))
                now = time.monotonic()
                for s in self._servers:
                    s.out_until = min(s.out_until, now)
                attempt += 1
                continue
            url = self._endpoint(server.url)
            server.in_flight += 1
            server.sent += 1
            try:
                data = await self._post(client, url, body, server.url)
                return self._to_generation(data, params, time.perf_counter() - started)
            except _Retryable as exc:
                last = str(exc)
                if exc.unreachable and len(self._servers) > 1:
                    server.out_until = time.monotonic() + self.server_cooldown
                    if self._pick() is not None:
                        continue  # another server takes the request now: not a retry
                if attempt == self.max_retries:
                    break
                await asyncio.sleep(self._delay(attempt, exc.wait))
                attempt += 1
            finally:
                server.in_flight -= 1
        tries = self.max_retries + 1
        hint = ""
        if "could not connect" in last:
            hint = f"; is the server running, and is base_url={','.join(self.base_urls)!r} right?"
        raise BackendError(f"{url} failed after {tries} tr{'y' if tries == 1 else 'ies'}: {last}{hint}")

    def _pick(self) -> _Server | None:
        """The server not out with the fewest requests in flight (then the fewest sent); None if all are out."""
        now = time.monotonic()
        ready = [s for s in self._servers if s.out_until <= now]
        return min(ready, key=lambda s: (s.in_flight, s.sent)) if ready else None

    def _delay(self, attempt: int, server_wait: float | None) -> float:
        if server_wait is not None:
            return min(max(server_wait, 0.0), self.max_backoff)
        base = min(self.backoff * (2**attempt), self.max_backoff)
        return base * random.uniform(0.5, 1.0)

    async def _post(
        self, client: httpx.AsyncClient, url: str, body: dict[str, Any], base_url: str
    ) -> dict[str, Any]:
        try:
            response = await client.post(url, json=body)
        except httpx.TimeoutException as exc:
            raise _Retryable(
                f"timed out after {self.timeout:g} s ({type(exc).__name__})", unreachable=True
            ) from exc
        except httpx.ConnectError as exc:
            raise _Retryable(
                f"could not connect to {base_url} ({exc or type(exc).__name__})", unreachable=True
            ) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise _Retryable(
                f"the connection to {base_url} dropped ({exc or type(exc).__name__})", unreachable=True
            ) from exc
        status = response.status_code
        if status == 200:
            try:
                data = response.json()
                if not isinstance(data, dict) or not data.get("choices"):
                    raise ValueError("no choices")
            except (ValueError, json.JSONDecodeError) as exc:
                raise _Retryable(f"malformed reply from {url}: {response.text[:200]!r}") from exc
            return data
        detail = _error_message(response)
        if status in _RETRY_STATUSES or status >= 500:
            raise _Retryable(f"HTTP {status}: {detail}", _retry_after(response))
        if status in (401, 403):
            raise BackendError(
                f"{url} rejected the API key (HTTP {status}: {detail}). "
                "Set OPENAI_API_KEY or pass api_key= (local servers usually accept 'EMPTY')."
            )
        if status == 404:
            raise BackendError(await self._explain_404(client, url, detail, base_url))
        raise BackendError(f"{url} refused the request for model {self.model!r} (HTTP {status}: {detail})")

    async def _explain_404(self, client: httpx.AsyncClient, url: str, detail: str, base_url: str) -> str:
        """Tell a wrong URL from a wrong model name, asking ``/models`` which the server serves."""
        try:
            listing = await client.get(f"{base_url}/models", timeout=min(self.timeout, 10.0))
            names = (
                [str(m.get("id")) for m in listing.json().get("data", [])]
                if listing.status_code == 200
                else None
            )
        except (httpx.HTTPError, ValueError, AttributeError):
            names = None
        if names is not None:
            if self.model not in names:
                served = ", ".join(names[:20]) or "none"
                return (
                    f"model {self.model!r} was not found at {base_url} (HTTP 404: {detail}); "
                    f"the server serves: {served}"
                )
            return f"{url} answered HTTP 404 for model {self.model!r}: {detail}"
        hint = " (an OpenAI-compatible base URL usually ends in /v1)" if not base_url.endswith("/v1") else ""
        return f"{url} was not found (HTTP 404: {detail}): check base_url={base_url!r}{hint}"

    def _to_generation(self, data: dict[str, Any], params: GenerationParams, seconds: float) -> Generation:
        choice = data["choices"][0]
        if self.use_chat:
            text = (choice.get("message") or {}).get("content") or ""
        else:
            text = choice.get("text") or ""
        finish = "length" if choice.get("finish_reason") == "length" else "stop"
        text, stopped = truncate_at_stop(text, params.stop)
        if stopped:
            finish = "stop"
        text, ended = apply_end_check(text, params.end_check)  # a server cannot be asked: applied afterwards
        if ended:
            finish = "end_check"
        usage = data.get("usage") or {}
        return Generation(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            finish_reason=finish,  # type: ignore[arg-type]
            seconds=seconds,
        )


def _error_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
        if data.get("message"):
            return str(data["message"])
        if data.get("detail"):
            return str(data["detail"])
    return response.text[:200]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:  # an HTTP date
        from email.utils import parsedate_to_datetime

        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None
