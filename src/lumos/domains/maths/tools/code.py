"""Code: model-written Python, run only inside the OS-level sandbox of :mod:`lumos.sandbox`."""

from __future__ import annotations

import ast
import json
import re
import signal
import textwrap
from typing import Any, ClassVar

import sympy
from sympy import Float, Integer, Rational, S

from lumos.domains.maths.tools.base import VARIABLE, MathTool, shorten
from lumos.errors import AgentStepError, LimitExceededError, ToolError
from lumos.sandbox import run_untrusted_python
from lumos.tools.base import ExecutionContext, Tool
from lumos.tools.safe_math import (
    evaluate,
    has_free_symbols,
    is_number,
    render_value,
    split_items,
)

# ============================================================================================== Code

MAX_CODE_CHARS = 20_000
CODE_MEMORY_BYTES = 512 * 1024 * 1024
CODE_FILE_BYTES = 10 * 1024 * 1024
_PSEUDO_IF = re.compile(r"^\s*if\b(?P<rest>[^\n:]*)$", re.I)

# The child's prelude: limits, guards, then the code; the outcome goes, as JSON, to its original stdout.
_CHILD = r"""
import sys, os, json, resource, builtins, io
sys.path.extend(sys.argv[1:])  # the folders of the packages Code may import (in the sandbox)
_cfg = json.loads(sys.stdin.read())

def _limit(kind, value):
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        try:
            soft, hard = resource.getrlimit(kind)
            resource.setrlimit(kind, (value if hard == resource.RLIM_INFINITY else min(value, hard), hard))
        except (ValueError, OSError):
            pass

_limit(resource.RLIMIT_AS, _cfg["memory"])
_limit(resource.RLIMIT_CPU, _cfg["cpu"])
_limit(resource.RLIMIT_FSIZE, _cfg["fsize"])
_limit(resource.RLIMIT_CORE, 0)
_limit(resource.RLIMIT_NOFILE, 64)
# the outcome goes to the original standard output; the code's own fd 1 writes go nowhere
_result = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
_ROOT = os.path.realpath(os.getcwd())
_real_open, _real_os_open = builtins.open, os.open

def _inside(path, dir_fd=None):
    if isinstance(path, int):
        return True
    path = os.fsdecode(path)
    if dir_fd is not None and not os.path.isabs(path):
        try:
            path = os.path.join(os.readlink("/proc/self/fd/%d" % dir_fd), path)
        except OSError:
            return False
    real = os.path.realpath(path)
    return real == _ROOT or real.startswith(_ROOT + os.sep)

def _refuse(what):
    def refused(*args, **kwargs):
        raise PermissionError(what + " is not allowed in Code")
    return refused

def _open(file, mode="r", *args, **kwargs):
    if any(c in mode for c in "wax+") and not _inside(file):
        raise PermissionError("Code may only write inside its working directory, not to %r" % (file,))
    return _real_open(file, mode, *args, **kwargs)

_WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

def _os_open(path, flags, mode=0o777, *, dir_fd=None):
    if flags & _WRITE and not _inside(path, dir_fd):
        raise PermissionError("Code may only write inside its working directory, not to %r" % (path,))
    return _real_os_open(path, flags, mode, dir_fd=dir_fd)

builtins.open = io.open = _open
os.open = _os_open

def _guard_paths(name, count):
    real = getattr(os, name, None)
    if real is None:
        return
    def guarded(*args, **kwargs):
        fds = [kwargs.get("dir_fd"), kwargs.get("src_dir_fd"), kwargs.get("dst_dir_fd")]
        for i, path in enumerate(args[:count]):
            fd = kwargs.get("dst_dir_fd") if i == 1 else (kwargs.get("src_dir_fd") or kwargs.get("dir_fd"))
            if not _inside(path, fd):
                raise PermissionError("Code may only change files inside its working directory, not %r" % (path,))
        return real(*args, **kwargs)
    setattr(os, name, guarded)

for _name in ("remove", "unlink", "rmdir", "removedirs", "mkdir", "makedirs", "chmod", "lchmod", "chown",
              "lchown", "chflags", "truncate", "utime", "mkfifo", "mknod", "setxattr", "removexattr"):
    _guard_paths(_name, 1)
for _name in ("rename", "renames", "replace", "link", "symlink"):
    _guard_paths(_name, 2)
for _name in ("system", "popen", "fork", "forkpty", "execv", "execve", "execl", "execle", "execlp", "execlpe",
              "execvp", "execvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp",
              "spawnvpe", "posix_spawn", "posix_spawnp", "kill", "killpg", "setuid", "setgid"):
    if hasattr(os, _name):
        setattr(os, _name, _refuse("os." + _name))

import subprocess, _posixsubprocess
subprocess.Popen._execute_child = _refuse("starting a process")
_posixsubprocess.fork_exec = _refuse("starting a process")

import socket, _socket
class _NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        raise PermissionError("network access is not allowed in Code")
socket.socket = socket.SocketType = _socket.socket = _NoSocket
for _name in ("create_connection", "create_server", "getaddrinfo", "gethostbyname", "gethostbyname_ex",
              "gethostbyaddr", "socketpair", "fromfd"):
    if hasattr(socket, _name):
        setattr(socket, _name, _refuse("network access"))
    if hasattr(_socket, _name):
        setattr(_socket, _name, _refuse("network access"))

class _Tail(io.TextIOBase):
    def __init__(self, limit):
        self.text, self.limit = "", limit
    def writable(self):
        return True
    def write(self, s):
        self.text = (self.text + str(s))[-self.limit:]
        return len(s)

_out = _Tail(20000)
sys.stdout, sys.stderr = _out, _Tail(4000)

def _enc(v, depth=0):
    import fractions, decimal
    if isinstance(v, bool):
        return {"t": "bool", "v": v}
    if isinstance(v, int):
        return {"t": "int", "v": hex(int(v))}
    if isinstance(v, float):
        return {"t": "float", "v": repr(float(v))}
    if isinstance(v, fractions.Fraction):
        return {"t": "frac", "p": hex(v.numerator), "q": hex(v.denominator)}
    if isinstance(v, decimal.Decimal):
        return {"t": "text", "v": str(v)}
    if isinstance(v, str):
        return {"t": "text", "v": v[-20000:]}
    if isinstance(v, (list, tuple, set, frozenset)) and depth < 3:
        items = sorted(v, key=repr) if isinstance(v, (set, frozenset)) else list(v)
        return {"t": "list", "v": [_enc(x, depth + 1) for x in items[:10000]]}
    if type(v).__module__.split(".")[0] == "sympy":
        return {"t": "sympy", "v": str(v)[:20000]}
    if type(v).__module__.split(".")[0] == "numpy" and hasattr(v, "item") and getattr(v, "ndim", 1) == 0:
        return _enc(v.item(), depth)
    return {"t": "text", "v": str(v)[:20000]}

def _finish(payload):
    payload["stdout"] = _out.text[-4000:]
    _result.write(json.dumps(payload))
    _result.close()
    os._exit(0)

def _main():
    import ast, math, fractions, traceback
    ns = {"__name__": "__main__", "__builtins__": builtins, "math": math, "Fraction": fractions.Fraction}
    code = _cfg["code"]
    injected = {}
    for name, enc in _cfg["variables"].items():
        injected[name] = _dec(enc)
    ns.update(injected)
    value, have = None, False
    try:
        if "sympy" in code:
            import sympy
            ns["sympy"] = sympy
        tree = ast.parse(code, "<code>", "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, "<code>", "exec"), ns)
        if last is not None:
            value = eval(compile(last, "<code>", "eval"), ns)
            have = value is not None
    except SystemExit:
        pass
    except BaseException as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        lines = [f.lineno for f in tb if f.filename == "<code>"]
        if isinstance(exc, SyntaxError):
            lines = [exc.lineno]
        _finish({"ok": False, "error": type(exc).__name__, "message": str(exc)[:500],
                 "line": lines[-1] if lines else None})
    for key in ("ans", "answer", "result"):
        if key in ns and ns[key] is not injected.get(key, object()) and not callable(ns[key]):
            value, have = ns[key], True
            break
    if not have and _out.text.strip():
        value, have = [l for l in _out.text.splitlines() if l.strip()][-1].strip(), True
    if not have:
        fns = [v for k, v in ns.items() if callable(v) and getattr(v, "__module__", None) == "__main__"
               and getattr(v, "__code__", None) is not None and v.__code__.co_argcount == 0
               and not isinstance(v, type)]
        if len(fns) == 1:
            try:
                value = fns[0]()
                have = value is not None
            except BaseException as exc:
                _finish({"ok": False, "error": type(exc).__name__, "message": str(exc)[:500], "line": None})
    if not have:
        _finish({"ok": False, "error": "NoResult", "message": "", "line": None})
    _finish({"ok": True, "value": _enc(value)})

def _dec(enc):
    import fractions
    t = enc["t"]
    if t == "int":
        return int(enc["v"], 16)
    if t == "frac":
        return fractions.Fraction(int(enc["p"], 16), int(enc["q"], 16))
    if t == "float":
        return float(enc["v"])
    if t == "bool":
        return bool(enc["v"])
    if t == "list":
        return [_dec(x) for x in enc["v"]]
    return enc["v"]

try:
    _main()
except MemoryError:
    _finish({"ok": False, "error": "MemoryError", "message": "", "line": None})
except BaseException as exc:
    _finish({"ok": False, "error": type(exc).__name__, "message": str(exc)[:500], "line": None})
"""


class Code(MathTool, Tool):
    """Run Python code and return its result; for what a formula cannot say (loops, conditions, searches).

    The result is, in order: a variable named ``ans``, ``answer`` or ``result``; else the value of the last
    line if it is an expression; else the last line the code printed; else the return value of the one
    function without parameters that the code defined. Result variables (``R1``...) are available as Python
    values. The argument may be raw code or a quoted string. The pseudo-code ``If cond, a, b`` picks ``a``
    or ``b``, and a plain formula is calculated directly (both without starting Python).

    The code runs only inside the OS-level sandbox of :mod:`lumos.sandbox` (bubblewrap namespaces, a
    read-only minimal filesystem, no network, no new processes, seccomp), with a time limit (the action's,
    about 5 s), 512 MB of memory, a CPU-time limit and a 10 MB file-size limit; the Python-level guards of
    the prelude (no writes outside its directory, no network, no processes) are a second layer. Where the
    sandbox cannot start, Code refuses with an error naming the fix, unless the user opted out with
    ``--unsafe-code``.
    """

    name = "Code"
    description = "Run Python code (print the result or assign it to ans); or If cond, a, b"
    signature = "Code(pseudo_code)"
    time_limit: ClassVar[float] = 5.0

    def _prepare(self, args: str) -> str:
        return _code_text(args)

    def _run(self, code: str, ctx: ExecutionContext) -> Any:
        if len(code) > MAX_CODE_CHARS:
            raise LimitExceededError(
                f"the code is {len(code)} characters long; the limit is {MAX_CODE_CHARS}"
            )
        if not code.strip():
            raise ToolError("Code needs some code")
        pseudo = _PSEUDO_IF.match(code)
        if pseudo:
            parts = split_items(pseudo.group("rest"))
            if len(parts) == 3:
                cond = evaluate(parts[0], ctx)
                if cond not in (S.true, S.false):
                    raise ToolError(f"cannot decide the condition {shorten(parts[0])!r}")
                return evaluate(parts[1] if cond is S.true else parts[2], ctx)
        if "\n" not in code:
            try:
                value = evaluate(code, ctx)
            except LimitExceededError:
                raise
            except AgentStepError as exc:
                if type(exc).__name__ == "UndefinedVariableError":
                    raise
            else:
                if not has_free_symbols(value):
                    return value
        limit = ctx.state.get("time_limit") or self.time_limit
        return run_python(code, ctx, time_limit=max(0.5, float(limit) * 0.9 - 0.1))


def _code_text(args: str) -> str:
    text = args.strip()
    fence = re.match(r"^```[\w+-]*\n(.*?)\n?```$", text, re.S)
    if fence:
        text = fence.group(1)
    if text[:1] in "'\"" or text[:2].lower() in ("r'", 'r"'):
        try:
            literal = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            literal = None
        if isinstance(literal, str):
            text = literal
    if "\n" not in text and "\\n" in text:  # one line with written-out newlines: "x = 1\\nprint(x)"
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            text = text.replace("\\n", "\n").replace("\\t", "    ")
    return textwrap.dedent(text).strip("\n")


def _encode_variable(value: Any) -> Any:
    if isinstance(value, bool) or value is S.true or value is S.false:
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, (int, Integer)):
        return {"t": "int", "v": hex(int(value))}
    if isinstance(value, Rational):
        return {"t": "frac", "p": hex(int(value.p)), "q": hex(int(value.q))}
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)}
    if is_number(value):
        return {"t": "float", "v": repr(float(value.evalf(17)))}
    if isinstance(value, (list, tuple)):
        return {"t": "list", "v": [_encode_variable(v) for v in value]}
    return {"t": "text", "v": render_value(value)}


def run_python(code: str, ctx: ExecutionContext | None = None, *, time_limit: float = 5.0) -> Any:
    """Run ``code`` in the OS-level sandbox (see :class:`Code` and :mod:`lumos.sandbox`) and decode its
    result."""
    variables = {}
    if ctx is not None:
        for name in sorted(set(VARIABLE.findall(code))):
            variables[name] = _encode_variable(ctx.lookup(name))
    config = {
        "code": code,
        "variables": variables,
        "memory": CODE_MEMORY_BYTES,
        "cpu": max(1, int(time_limit + 1.5)),
        "fsize": CODE_FILE_BYTES,
    }
    done = run_untrusted_python(_CHILD, json.dumps(config).encode("utf-8"), time_limit=time_limit)
    if done.timed_out:
        raise LimitExceededError(f"Code ran longer than its time limit of {time_limit:g} s")
    payload = _read_payload(done.output)
    if payload is None:
        raise _crash_error(done.returncode, done.errors)
    return _decode_outcome(payload)


def _read_payload(output: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(output.decode("utf-8", "replace"))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _crash_error(returncode: int | None, stderr: str) -> AgentStepError:
    if returncode is not None and returncode < 0:
        sig = -returncode
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return LimitExceededError("Code exceeded its CPU time limit")
        if sig == signal.SIGXFSZ:
            return LimitExceededError("Code wrote a file larger than its limit")
        return ToolError(f"Code crashed with signal {signal.Signals(sig).name}")
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    if "MemoryError" in last:
        return LimitExceededError("Code ran out of memory (limit 512 MB)")
    return ToolError(f"Code failed without a result{': ' + last[:200] if last else ''}")


def _decode_outcome(payload: dict[str, Any]) -> Any:
    if not payload.get("ok"):
        error, message, line = payload.get("error"), payload.get("message") or "", payload.get("line")
        if error == "MemoryError":
            raise LimitExceededError("Code ran out of memory (limit 512 MB)")
        if error == "NoResult":
            raise ToolError("Code produced no result: print it, or assign it to a variable named ans")
        where = f" (line {line})" if line else ""
        raise ToolError(f"Code raised {error}{where}: {message}".rstrip(": "))
    return _decode_value(payload.get("value"))


def _decode_value(enc: Any) -> Any:
    if not isinstance(enc, dict):
        raise ToolError("Code returned a result that could not be read")
    kind, raw = enc.get("t"), enc.get("v")
    if kind == "int":
        return Integer(int(str(raw), 16))
    if kind == "frac":
        return Rational(int(str(enc.get("p")), 16), int(str(enc.get("q")), 16))
    if kind == "bool":
        return S.true if raw else S.false
    if kind == "float":
        value = float(str(raw))
        if value != value or value in (float("inf"), float("-inf")):
            raise ToolError(f"Code returned {raw}, not a finite number")
        return Float(str(raw), 15)
    if kind == "list":
        return [_decode_value(v) for v in (raw or [])]
    return parse_output(str(raw), symbolic=kind == "sympy")


_INT_TEXT = re.compile(r"^[+-]?\d+$")
_DECIMAL_TEXT = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?\d+[eE][+-]?\d+$")


def parse_output(text: str, *, symbolic: bool = False) -> Any:
    """A printed result as a value: integers and fractions exactly; decimals exactly when they have at most
    15 significant digits, else as floats (``0.30000000000000004`` is float noise); True/False; with
    ``symbolic``, expressions; anything else stays text."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return text
    line = lines[-1]
    compact = line.replace(",", "") if re.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", line) else line
    if _INT_TEXT.match(compact):
        if len(compact) > 20_000:
            return line
        return Integer(int(compact, 10) if len(compact) < 4000 else _big_int(compact))
    if _DECIMAL_TEXT.match(compact):
        digits = len(re.sub(r"[^\d]", "", compact.split("e")[0].split("E")[0]).lstrip("0"))
        if digits > 15:
            return Float(compact, 15)
    if len(line) <= 500:
        try:
            value = evaluate(line)
        except AgentStepError:
            return line
        if is_number(value) or value in (S.true, S.false) or (symbolic and isinstance(value, sympy.Basic)):
            return value
        if isinstance(value, (list, tuple)) and all(is_number(v) for v in value):
            return list(value)
    return line


def _big_int(digits: str) -> int:
    from decimal import Decimal

    return int(Decimal(digits))
