"""Fixtures of the annotation tests (the data live in annotate_fixtures.py)."""

from annotate_fixtures import fanout_file, gsm8k_sample, gsm8k_small, svamp_sample

__all__ = ["fanout_file", "gsm8k_sample", "gsm8k_small", "svamp_sample"]
