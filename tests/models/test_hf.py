"""HFModel: batching with left padding, stop strings, templates, adapters and the embedded default.

The fast tests use a tiny randomly initialised Llama built here (a byte-level BPE tokenizer trained on a few
sentences); the ``slow`` ones load the embedded SmolLM2-135M-Instruct (converted once into ~/.cache/lumos).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from lumos.errors import ConfigError
from lumos.models.base import GenerationParams, Message
from lumos.models.hf import HFModel, load_shared_base

CHAT_TEMPLATE = (
    "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}[assistant] {% endif %}"
)
CORPUS = [
    "Subgoal 1: Calculate the total number of apples.",
    "Action 1: R1 = Calculator(Equation: 3 + 4 * 2)",
    "The quick brown fox jumps over the lazy dog; she sells sea shells by the sea shore.",
    "Question: What is the capital of France? Answer: Paris is the capital of France.",
    "[user] [assistant] [system] <|user|> <|assistant|> <|system|>",
]


def conv(text: str) -> list[Message]:
    return [Message(role="user", content=text)]


def build_tiny(path: Path, *, chat_template: str | None = CHAT_TEMPLATE, seed: int = 0) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<pad>", "<s>", "</s>"], show_progress=False
    )
    tok.train_from_iterator(CORPUS * 3, trainer)
    # like Llama's tokenizer: add_special_tokens=True puts <s> first
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    if chat_template:
        fast.chat_template = chat_template
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=fast.pad_token_id,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        tie_word_embeddings=True,
        initializer_range=0.5,  # large random weights: varied text rather than one repeated token
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    # Never end on </s> or <pad>, so generation length is governed by max_tokens and stop strings alone.
    with torch.no_grad():
        model.model.embed_tokens.weight[fast.eos_token_id].zero_()
        model.model.embed_tokens.weight[fast.pad_token_id].zero_()
    model.save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def tiny(tiny_dir: Path) -> HFModel:
    return HFModel(str(tiny_dir), batch_size=8)


PROMPTS = [
    conv("Calculate the total number of apples and the quick brown fox."),
    conv("Paris?"),
    conv("What is the capital of France? She sells sea shells by the sea shore."),
]


def test_left_padding_batch_equals_alone(tiny: HFModel) -> None:
    params = GenerationParams(max_tokens=12)
    batch = tiny.generate(PROMPTS, params)
    alone = [tiny.generate([p], params)[0] for p in PROMPTS]
    assert [g.text for g in batch] == [g.text for g in alone]
    assert len({len(tiny.encode(p)) for p in PROMPTS}) == 3  # really different lengths
    for g, p in zip(batch, PROMPTS, strict=True):
        assert g.prompt_tokens == len(tiny.encode(p))
        assert (g.completion_tokens, g.finish_reason) == (12, "length")
        assert g.text


def test_batch_size_splits_and_keeps_order(tiny_dir: Path, tiny: HFModel) -> None:
    small = HFModel(str(tiny_dir), batch_size=2)
    params = GenerationParams(max_tokens=6)
    assert [g.text for g in small.generate(PROMPTS * 2, params)] == [
        g.text for g in tiny.generate(PROMPTS * 2, params)
    ]


def _spy_lengths(model: HFModel, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    net: Any = model._core.model  # type: ignore[union-attr]
    lengths: list[int] = []
    original = net.generate

    def spy(**kwargs: Any) -> Any:
        out = original(**kwargs)
        lengths.append(out.shape[1] - kwargs["input_ids"].shape[1])
        return out

    monkeypatch.setattr(net, "generate", spy, raising=False)
    return lengths


def test_stop_strings_truncate_and_stop_the_batch_early(
    tiny: HFModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    free = tiny.generate(PROMPTS, GenerationParams(max_tokens=30))
    # a stop string taken from each row's own free-running text: every row hits one early
    stops = [g.text[3:5] for g in free]
    expected = [g.text[: min(i for i in (g.text.find(s) for s in stops) if i != -1)] for g in free]
    lengths = _spy_lengths(tiny, monkeypatch)
    out = tiny.generate(PROMPTS, GenerationParams(max_tokens=30, stop=stops))
    assert [g.text for g in out] == expected
    assert all(g.finish_reason == "stop" for g in out)
    assert all(0 < g.completion_tokens < 30 for g in out)
    assert lengths == [max(g.completion_tokens for g in out)]  # the batch ended when its last row stopped


def test_seeded_sampling_is_reproducible(tiny: HFModel) -> None:
    params = GenerationParams(max_tokens=10, temperature=1.0, seed=123)
    first = [g.text for g in tiny.generate(PROMPTS, params)]
    assert first == [g.text for g in tiny.generate(PROMPTS, params)]


def test_zero_max_tokens_and_empty_batch(tiny: HFModel) -> None:
    assert tiny.generate([], GenerationParams()) == []
    (g,) = tiny.generate([PROMPTS[1]], GenerationParams(max_tokens=0))
    assert (g.text, g.finish_reason) == ("", "length")


def test_templates(tiny_dir: Path, tmp_path: Path) -> None:
    native = HFModel(str(tiny_dir))
    assert native.template == "native"
    assert native.format_prompt(conv("hi")) == "[user] hi\n[assistant] "
    tulu = HFModel(str(tiny_dir), chat_template="tulu")
    assert tulu.format_prompt(conv("hi")) == "<|user|>\nhi\n<|assistant|>\n"
    assert tulu.encode(conv("hi"))[0] == tulu.tokenizer.bos_token_id  # Tulu prompts start with BOS
    assert native.encode(conv("hi"))[0] != native.tokenizer.bos_token_id  # native templates bring their own
    bare = HFModel(str(build_tiny(tmp_path / "bare", chat_template=None)))
    assert bare.template == "tulu"
    with pytest.raises(ConfigError, match="no chat template"):
        HFModel(str(tmp_path / "bare"), chat_template="native")
    with pytest.raises(ConfigError, match="chat_template must be"):
        HFModel(str(tiny_dir), chat_template="chatml")


def test_max_prompt_tokens_keeps_the_end(tiny_dir: Path) -> None:
    model = HFModel(str(tiny_dir), max_prompt_tokens=5)
    full = HFModel(str(tiny_dir)).encode(PROMPTS[0])
    assert model.encode(PROMPTS[0]) == full[-5:]
    (g,) = model.generate([PROMPTS[0]], GenerationParams(max_tokens=3))
    assert g.prompt_tokens == 5


def test_missing_local_folder_and_offline_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        HFModel(str(tmp_path / "no" / "such" / "model"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    with pytest.raises(ConfigError, match=r"from the Hugging Face Hub.*offline.*local folder"):
        HFModel("lumos-tests/no-such-model")
    assert time.perf_counter() - started < 10


def test_bad_options(tiny_dir: Path) -> None:
    with pytest.raises(ConfigError, match="dtype"):
        HFModel(str(tiny_dir), dtype="float8")
    with pytest.raises(ConfigError, match="batch_size"):
        HFModel(str(tiny_dir), batch_size=0)


def _make_adapter(base_dir: Path, out: Path, seed: int) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    base = AutoModelForCausalLM.from_pretrained(base_dir)
    config = LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft_model = get_peft_model(base, config)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_" in name:
                param.normal_(0, 0.5)
    peft_model.save_pretrained(str(out))
    return out


def test_adapters_share_one_base(tiny_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("peft")
    plan = _make_adapter(tiny_dir, tmp_path / "plan", seed=1)
    ground = _make_adapter(tiny_dir, tmp_path / "ground", seed=2)
    params = GenerationParams(max_tokens=10)
    shared = load_shared_base(str(tiny_dir), {"planner": str(plan), "grounder": str(ground), "base": None})
    assert shared["planner"]._core is shared["grounder"]._core
    # interleaved calls switch adapters correctly
    p1 = [g.text for g in shared["planner"].generate(PROMPTS, params)]
    g1 = [g.text for g in shared["grounder"].generate(PROMPTS, params)]
    b1 = [g.text for g in shared["base"].generate(PROMPTS, params)]
    p2 = [g.text for g in shared["planner"].generate(PROMPTS, params)]
    assert p1 == p2
    assert p1 != g1
    assert p1 == [g.text for g in HFModel(str(tiny_dir), adapter=str(plan)).generate(PROMPTS, params)]
    assert g1 == [g.text for g in HFModel(str(tiny_dir), adapter=str(ground)).generate(PROMPTS, params)]
    assert b1 == [g.text for g in HFModel(str(tiny_dir)).generate(PROMPTS, params)]
    assert shared["planner"].name.endswith(str(plan))


DEFAULT_PROMPTS = [
    conv("What is the capital of France?"),
    conv("Write one short sentence about the sea, then list three colours, one per line."),
    conv("Hi"),
]


@pytest.mark.slow
def test_embedded_default_batched_greedy_with_stop() -> None:
    model = HFModel("default", batch_size=8)
    assert model.name == "smollm2-135m" and model.template == "native"
    params = GenerationParams(max_tokens=20, stop=["\n"])
    batch = model.generate(DEFAULT_PROMPTS, params)
    alone = [model.generate([p], params)[0] for p in DEFAULT_PROMPTS]
    assert [g.text for g in batch] == [g.text for g in alone]
    assert "Paris" in batch[0].text
    for g in batch:
        assert "\n" not in g.text and g.text.strip()
        assert 0 < g.completion_tokens <= 20 and g.prompt_tokens > 0
