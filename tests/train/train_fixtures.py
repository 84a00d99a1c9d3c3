"""The tiny model and data of the training tests (the tiny_base fixture is in conftest.py)."""

import json

import pytest

from lumos.prompts.modules import ModulePrompts

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_base(folder):
    """A tiny randomly initialised Llama with a small word-level tokenizer, saved like a hub model."""
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = [
        "<unk>",
        "<pad>",
        "<|im_start|>",
        "<|im_end|>",
        "user",
        "assistant",
        "Subgoal",
        "R1",
        "=",
        "Calculator",
        "(",
        ")",
        "1",
        "2",
        "3",
        "+",
        ":",
        "Add",
        ".",
        "Task",
    ]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<|im_end|>"
    )
    fast.add_special_tokens({"additional_special_tokens": ["<|im_start|>"]})
    fast.chat_template = CHATML
    fast.save_pretrained(folder)
    config = transformers.LlamaConfig(
        vocab_size=len(words),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=1,
        eos_token_id=3,
    )
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def tiny_data(tmp_path, n=8):
    prompts = ModulePrompts("maths")
    rows = [
        {"messages": prompts.plan_iterative(f"Task {i}", ["Add 1 and 2."], ["3"], final=True)}
        for i in range(n)
    ]
    path = tmp_path / "plan.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


