"""Fixtures of the training tests."""

import pytest
from train_fixtures import build_tiny_base


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    return build_tiny_base(tmp_path_factory.mktemp("tiny"))
