"""A small OpenAI-compatible HTTP server on 127.0.0.1, for tests of anything that talks to one.

    with serve_fake_openai(lambda request: "Subgoal 1: ...") as base_url:
        model = OpenAIModel("fake-model", base_url=base_url, api_key="EMPTY")

It serves ``POST /v1/chat/completions``, ``POST /v1/completions`` and ``GET /v1/models`` on an ephemeral port,
in a background thread, answering from

* a *responder*: a function given the full request JSON (a dict) that returns the reply text, or a dict with
  ``content`` and optionally ``finish_reason``, ``prompt_tokens``, ``completion_tokens``;
* a *script*: a list of reply texts served in order;
* nothing: it echoes the last user message.

The reply is cut at the request's ``stop`` strings and at ``max_tokens`` words, as a real server would; token
counts are whitespace-separated words. Faults can be injected per request (``faults=``): a list whose i-th item
applies to the i-th completion request (``None`` for a normal answer), or a function
``(index, request) -> fault | None``. A fault is a :class:`Fault` or a shorthand string:

* ``"429"`` (with ``Retry-After: 0``), ``"500"``, ``"503"``, ``"401"``, ``"404"``...: that HTTP status;
* ``"drop"``: close the connection without answering;
* ``"malformed"``: a 200 whose body is not JSON;
* ``"slow:2.5"``: wait that many seconds, then answer normally.

Use :class:`FakeOpenAIServer` directly to see what it received (``requests``) and the most requests it had in
flight at once (``max_in_flight``).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Reply = str | dict[str, Any]
Responder = Callable[[dict[str, Any]], Reply]


@dataclass(frozen=True)
class Fault:
    """One injected failure."""

    kind: Literal["status", "drop", "malformed", "slow"]
    status: int = 500
    retry_after: float | None = None
    delay: float = 0.0

    @classmethod
    def http(cls, status: int, retry_after: float | None = None) -> Fault:
        return cls("status", status=status, retry_after=retry_after)

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")

    @classmethod
    def malformed(cls) -> Fault:
        return cls("malformed")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", delay=seconds)

    @classmethod
    def parse(cls, spec: Fault | str | int) -> Fault:
        if isinstance(spec, Fault):
            return spec
        text = str(spec).strip().lower()
        if text.isdigit():
            status = int(text)
            return cls.http(status, retry_after=0 if status == 429 else None)
        if text == "drop":
            return cls.drop()
        if text == "malformed":
            return cls.malformed()
        if text.startswith("slow"):
            _, _, seconds = text.partition(":")
            return cls.slow(float(seconds or 1.0))
        raise ValueError(f"unknown fault {spec!r}: use an HTTP status, 'drop', 'malformed' or 'slow:SECONDS'")


FaultSpec = Fault | str | int | None
Faults = Sequence[FaultSpec] | Callable[[int, dict[str, Any]], FaultSpec]


def _words(text: str) -> int:
    return len(text.split())


def _prompt_text(request: dict[str, Any]) -> str:
    if "messages" in request:
        return "\n".join(str(m.get("content") or "") for m in request["messages"])
    prompt = request.get("prompt", "")
    return "\n".join(prompt) if isinstance(prompt, list) else str(prompt)


def echo_responder(request: dict[str, Any]) -> str:
    """The default reply: the last user message (or the prompt), prefixed with ``echo: ``."""
    for message in reversed(request.get("messages", [])):
        if message.get("role") == "user":
            return f"echo: {message.get('content', '')}"
    return f"echo: {_prompt_text(request)}"


class FakeOpenAIServer:
    """The server behind :func:`serve_fake_openai`; a context manager that starts and stops it."""

    def __init__(
        self,
        responder: Responder | Sequence[str] | None = None,
        faults: Faults | None = None,
        *,
        models: Sequence[str] | None = None,
        api_key: str | None = None,
    ) -> None:
        self._script: list[str] | None = None
        if responder is None:
            self._responder: Responder = echo_responder
        elif callable(responder):
            self._responder = responder
        else:
            self._script = list(responder)
            self._responder = self._scripted
        self._faults = faults
        self.models = list(models) if models is not None else None
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        """Every completion request received (the JSON bodies), in arrival order, faulty ones included."""
        self.paths: list[str] = []
        """Every request path received, in arrival order."""
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the fake OpenAI server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> FakeOpenAIServer:
        handler = type("_Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- behaviour ----------------------------------------------------------------------------------------

    def _scripted(self, request: dict[str, Any]) -> str:
        assert self._script is not None
        with self._lock:
            if not self._script:
                raise RuntimeError("the fake server's script of replies is used up")
            return self._script.pop(0)

    def _fault_for(self, index: int, request: dict[str, Any]) -> Fault | None:
        faults = self._faults
        if faults is None:
            return None
        spec = (
            faults(index, request) if callable(faults) else (faults[index] if index < len(faults) else None)
        )
        return None if spec is None else Fault.parse(spec)

    def _answer(self, request: dict[str, Any], chat: bool) -> dict[str, Any]:
        reply = self._responder(request)
        if isinstance(reply, str):
            reply = {"content": reply}
        content = str(reply.get("content", ""))
        finish = str(reply.get("finish_reason", "stop"))
        stops = request.get("stop") or []
        if isinstance(stops, str):
            stops = [stops]
        cuts = [i for i in (content.find(s) for s in stops if s) if i != -1]
        if cuts:
            content, finish = content[: min(cuts)], "stop"
        limit = request.get("max_tokens")
        if isinstance(limit, int) and _words(content) > limit:
            content, finish = " ".join(content.split()[:limit]), "length"
        usage = {
            "prompt_tokens": int(reply.get("prompt_tokens", _words(_prompt_text(request)))),
            "completion_tokens": int(reply.get("completion_tokens", _words(content))),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish, "logprobs": None}
        if chat:
            choice["message"] = {"role": "assistant", "content": content}
        else:
            choice["text"] = content
        return {
            "id": f"fake-{len(self.requests)}",
            "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()),
            "model": request.get("model", "fake-model"),
            "choices": [choice],
            "usage": usage,
        }


def _error_body(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code or str(status)}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAIServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes | dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        key = self.fake.api_key
        if key is None:
            return True
        if self.headers.get("Authorization", "") == f"Bearer {key}":
            return True
        self._send(401, _error_body(401, "Incorrect API key provided.", "invalid_api_key"))
        return False

    def do_GET(self) -> None:
        self.fake.paths.append(self.path)
        if not self._authorised():
            return
        if self.path.rstrip("/") == "/v1/models":
            names = self.fake.models or ["fake-model"]
            self._send(200, {"object": "list", "data": [{"id": n, "object": "model"} for n in names]})
        else:
            self._send(404, _error_body(404, f"no route {self.path}", "not_found"))

    def do_POST(self) -> None:
        fake = self.fake
        fake.paths.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.rstrip("/")
        if path not in ("/v1/chat/completions", "/v1/completions"):
            self._send(404, _error_body(404, f"no route {self.path}", "not_found"))
            return
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, _error_body(400, "the request body is not JSON"))
            return
        with fake._lock:
            index = len(fake.requests)
            fake.requests.append(request)
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        try:
            self._complete(index, request, chat=path.endswith("chat/completions"))
        finally:
            with fake._lock:
                fake.in_flight -= 1

    def _complete(self, index: int, request: dict[str, Any], chat: bool) -> None:
        fake = self.fake
        fault = fake._fault_for(index, request)
        if fault is not None:
            if fault.kind == "drop":
                self.close_connection = True
                with suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault.kind == "malformed":
                self._send(200, b'{"choices": [{"message": ')
                return
            if fault.kind == "status":
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                self._send(fault.status, _error_body(fault.status, f"injected HTTP {fault.status}"), headers)
                return
            time.sleep(fault.delay)  # "slow": then answer normally
        if not self._authorised():
            return
        model = request.get("model")
        if fake.models is not None and model not in fake.models:
            message = f"The model `{model}` does not exist or you do not have access to it."
            self._send(404, _error_body(404, message, "model_not_found"))
            return
        try:
            body = fake._answer(request, chat)
        except Exception as exc:  # the responder's bug, shown to the client
            self._send(500, _error_body(500, f"fake server responder failed: {exc!r}", "responder_error"))
            return
        with suppress(BrokenPipeError, ConnectionResetError):  # the client may have given up (timeout)
            self._send(200, body)


@contextmanager
def serve_fake_openai(
    responder: Responder | Sequence[str] | None = None,
    faults: Faults | None = None,
    *,
    models: Sequence[str] | None = None,
    api_key: str | None = None,
) -> Iterator[str]:
    """Run a :class:`FakeOpenAIServer` for the ``with`` block; yields its base URL (``http://127.0.0.1:PORT/v1``).

    ``models``: the only model names accepted (others get a 404 ``model_not_found``); default: any name.
    ``api_key``: when set, requests without ``Authorization: Bearer <api_key>`` get a 401.
    """
    with FakeOpenAIServer(responder, faults, models=models, api_key=api_key) as server:
        yield server.base_url
