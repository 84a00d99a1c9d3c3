"""Helpers for tests and benchmarks, kept out of the library's main path: a fake OpenAI-compatible server
(:mod:`lumos.testing.openai_server`) and synthetic evaluation runs (:mod:`lumos.testing.runs`). The scripted
model :class:`lumos.models.fake.FakeModel` stays a backend of its own."""
