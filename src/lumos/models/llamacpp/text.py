"""Conversations to prompt text and tokens, and tokens back to text, with the model's own vocabulary: a part of
:class:`~lumos.models.llamacpp.engine.LlamaCppModel`."""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

from lumos.models.base import Conversation
from lumos.models.llamacpp.templates import render_native
from lumos.models.templates import defuse_markers, render_tulu, split_continuation


class TokenText:
    """Prompt rendering and (de)tokenization through llama.cpp's vocabulary."""

    _lib: Any
    _vocab: Any
    template: str
    n_ctx: int
    _native_template: str | None
    _eos_text: str
    _bos_text: str
    _control_texts: list[str]
    _pieces: dict[int, bytes]

    def _require_ctx(self) -> Any:
        raise NotImplementedError

    def format_prompt(self, conversation: Conversation) -> str:
        """The exact text the model is given for ``conversation`` (chat template applied; a final assistant
        message is continued)."""
        head, start = split_continuation(conversation)
        if self.template == "tulu":
            return render_tulu(head, add_generation_prompt=True, eos=self._eos_text or "</s>") + start
        assert self._native_template is not None
        return (
            render_native(
                self._native_template,
                defuse_markers(head, self._control_texts),
                bos_token=self._bos_text,
                eos_token=self._eos_text,
            )
            + start
        )

    def tokenize(self, text: str, *, add_special: bool = False) -> list[int]:
        """Token ids of ``text`` (special-token text such as ``<|im_start|>`` is parsed as the token)."""
        self._require_ctx()
        data = text.encode("utf-8")
        size = len(data) + 8
        while True:
            buf = (self._lib.llama_token * size)()
            n = self._lib.llama_tokenize(self._vocab, data, len(data), buf, size, add_special, True)
            if n >= 0:
                return list(buf[:n])
            size = -n

    def encode(self, conversation: Conversation) -> list[int]:
        """Prompt token ids, as the hf backend makes them (a BOS token only with the Tulu template)."""
        return self.tokenize(self.format_prompt(conversation), add_special=self.template == "tulu")

    def prompt_room(self, max_tokens: int) -> int | None:
        return max(0, self.n_ctx - max_tokens)

    def count_tokens(self, conversation: Conversation) -> int:
        return len(self.encode(conversation))

    def detokenize(self, ids: Sequence[int]) -> str:
        """Text of ``ids`` without special tokens (as ``tokenizer.decode(ids, skip_special_tokens=True)``)."""
        return b"".join(self._text_piece(t) for t in ids).decode("utf-8", errors="replace")

    def _piece(self, token: int, *, special: bool) -> bytes:
        size = 32
        while True:
            buf = ctypes.create_string_buffer(size)
            n = self._lib.llama_token_to_piece(self._vocab, token, buf, size, 0, special)
            if n >= 0:
                return buf.raw[:n]
            size = -n

    def _text_piece(self, token: int) -> bytes:
        piece = self._pieces.get(token)
        if piece is None:
            piece = self._pieces[token] = self._piece(token, special=False)
        return piece
