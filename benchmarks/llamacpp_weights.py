"""llama.cpp decode and prompt speed of the embedded model in several weight formats.

For each format (the shipped Q4_1 file, and copies made by llama.cpp's quantizer into a temporary folder):
single-stream decode of llama-cpp-python's ``Llama`` on a short prompt; lumos's batched engine decoding 64 new
tokens for batches of 1, 8 and 32 short prompts (tokens/s in decoding steps, and including the prompts); and
prompt evaluation of 8 prompts of ~690 tokens with no prefix sharing.

Usage: python benchmarks/llamacpp_weights.py [--threads N] [--formats shipped,q8_0,f16,bf16]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from engines import single_stream_speed  # benchmarks/engines.py, beside this script

from lumos.models.base import GenerationParams, Message
from lumos.models.default import find_gguf
from lumos.models.llamacpp import requantized_gguf


def engine_speeds(path: Path, threads: int) -> str:
    from lumos.models.llamacpp import LlamaCppModel

    cells = []
    for bs in (1, 8, 32):
        m = LlamaCppModel(str(path), n_threads=threads, batch_size=bs, n_ctx=512, prefix_cache=False)
        convs = [
            [Message(role="user", content=f"Write a long story about the number {i} and a cat.")]
            for i in range(bs)
        ]
        params = GenerationParams(max_tokens=64)
        m.generate(convs[:1], params)  # warm-up
        s0, n0 = m.stats.step_seconds, m.stats.step_tokens
        started = time.perf_counter()
        out = m.generate(convs, params)
        wall = time.perf_counter() - started
        steps = (m.stats.step_tokens - n0) / max(m.stats.step_seconds - s0, 1e-9)
        cells.append(
            f"batch {bs}: {steps:.1f} (incl. prompts {sum(g.completion_tokens for g in out) / wall:.1f})"
        )
        m.close()
    m = LlamaCppModel(str(path), n_threads=threads, batch_size=8, n_ctx=1024, prefix_cache=False)
    text = " ".join(f"Item {i} costs {i * 3} dollars and weighs {i * 7} grams." for i in range(40))
    prompts = [[Message(role="user", content=f"{i}: {text}")] for i in range(8)]
    one = GenerationParams(max_tokens=1)
    m.generate(prompts[:1], one)
    started = time.perf_counter()
    out = m.generate(prompts, one)
    cells.append(
        f"prompt evaluation {sum(g.prompt_tokens for g in out) / (time.perf_counter() - started):.0f}"
    )
    m.close()
    return "; ".join(cells)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--formats", default="shipped,q8_0,f16,bf16")
    args = ap.parse_args()
    import llama_cpp

    shipped = find_gguf()
    with tempfile.TemporaryDirectory() as tmp:
        for kind in [k.strip() for k in args.formats.split(",") if k.strip()]:
            path = shipped if kind == "shipped" else requantized_gguf(llama_cpp, shipped, kind, Path(tmp))
            size = path.stat().st_size / 1e6
            print(f"{kind} ({size:.0f} MB): single stream {single_stream_speed(args.threads, str(path)):.1f} tok/s; "
                  f"{engine_speeds(path, args.threads)} tok/s", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
