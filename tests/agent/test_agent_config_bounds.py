"""AgentConfig's numbers are bounded, whether they come from flags or a --config file (issue 27)."""

from __future__ import annotations

import pytest

from lumos.agent.agent import MAX_ROUNDS, AgentConfig
from lumos.errors import ConfigError, check_range


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("max_rounds", 10**24, "max_rounds (--max-rounds) must be from 1 to 1,000, not a 25-digit number"),
        ("max_rounds", MAX_ROUNDS + 1, "not 1,001"),
        ("n_examples", -3, "n_examples (--examples) must be from 0"),
        ("batch_size", 0, "batch_size (--batch-size)"),
        ("max_rounds", "8", "must be a whole number, not '8'"),
        ("temperature", float("nan"), "temperature must be from 0 to 100, not nan"),
    ],
)
def test_out_of_range_settings_are_refused_naming_the_flag(setting: str, value: object, said: str) -> None:
    with pytest.raises(ConfigError, match="must be") as caught:
        AgentConfig(**{setting: value})  # type: ignore[arg-type]
    assert said in str(caught.value)


def test_the_largest_allowed_values_pass() -> None:
    assert AgentConfig(max_rounds=MAX_ROUNDS, n_examples=0, temperature=0.7).max_rounds == MAX_ROUNDS


def test_check_range_shows_huge_numbers_in_short() -> None:
    with pytest.raises(ConfigError) as caught:
        check_range("--weight", 10**5000, 0, 1000)
    assert "many-digit number" in str(caught.value) and len(str(caught.value)) < 100
