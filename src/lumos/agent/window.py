"""A module's conversation kept within its model's context: the task stays, old turns go first.

An engine cuts a prompt that is too long at its start, which loses the instructions, the task and, for the
grounder, the tool list, and changes the prompt's start every round, so that nothing of it is found in the
engine's cache. Instead, :func:`fit_turns` leaves out the oldest (reply, result) turn pairs after the task's
first turn, ``block`` pairs at a time: while the same number of pairs is left out, each round's prompt
extends the previous one and the engine evaluates only the new turns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lumos.models.base import Conversation, Message


def fit_turns(
    conversation: Conversation, head: int, fits: Callable[[Sequence[Message]], bool], block: int
) -> tuple[Sequence[Message], int]:
    """``conversation`` with the fewest multiple of ``block`` turn pairs left out after its first ``head``
    messages (demonstrations and the task's first turn) for ``fits`` to accept it, and how many pairs were left
    out. The latest reply and its result always stay. Where no number fits, every pair but that one
    is left out (the engine then cuts what is still too long)."""
    if block < 1 or fits(conversation):
        return conversation, 0
    kept_head, rest = list(conversation[:head]), list(conversation[head:])
    pairs = max(0, (len(rest) - 1) // 2)
    dropped = block
    while dropped < pairs:
        trimmed = [*kept_head, *rest[2 * dropped :]]
        if fits(trimmed):
            return trimmed, dropped
        dropped += block
    return [*kept_head, *rest[2 * pairs :]], pairs
