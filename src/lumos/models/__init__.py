"""Model backends behind one batch-first interface (see :mod:`lumos.models.base`)."""

from lumos.models.base import Conversation, Generation, GenerationParams, Message, Model

__all__ = ["Conversation", "Generation", "GenerationParams", "Message", "Model"]
