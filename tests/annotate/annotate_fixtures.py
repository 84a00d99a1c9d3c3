"""Shared data of the annotation tests: the evaluation samples beside the repository, and small files
in each benchmark's original format (contents written for these tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"


def shared_file(name: str) -> Path:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    return path


@pytest.fixture
def gsm8k_sample() -> Path:
    return shared_file("gsm8k_test_sample.jsonl")


@pytest.fixture
def svamp_sample() -> Path:
    return shared_file("svamp_sample.jsonl")


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


GSM8K_ROWS = [
    {
        "question": f"A shop has {n} boxes with 6 apples each. It sells 5 apples. How many apples are left?",
        "answer": f"There are {n}*6=<<{n}*6={n * 6}>>{n * 6} apples.\nAfter selling, {n * 6}-5=<<{n * 6}-5={n * 6 - 5}>>"
        f"{n * 6 - 5} apples are left.\n#### {n * 6 - 5}",
    }
    for n in range(2, 14)
]


@pytest.fixture
def gsm8k_small(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "gsm8k_small.jsonl", GSM8K_ROWS)


FANOUT_ROWS = [
    {
        "id": "f1",
        "question": "What is the total number of moons of the two planets nearest the Sun that have moons?",
        "decomposition": [
            {
                "id": "a",
                "question": "Which two planets nearest the Sun have moons?",
                "decomposition": [],
                "answer": ["Earth", "Mars"],
                "depends_on": [],
                "evidence": {"title": "Natural satellite", "pageid": 1, "revid": 1, "url": "u"},
            },
            {
                "id": "b",
                "question": "How many moons does Earth have?",
                "decomposition": [],
                "answer": 1,
                "depends_on": ["a"],
                "evidence": {"title": "Earth", "pageid": 2, "revid": 1, "url": "u"},
            },
            {
                "id": "c",
                "question": "How many moons does Mars have?",
                "decomposition": [],
                "answer": 2,
                "depends_on": ["a"],
                "evidence": {"title": "Mars", "pageid": 3, "revid": 1, "url": "u"},
            },
        ],
        "answer": 3,
        "categories": ["Science"],
    },
    {
        "id": "f2",
        "question": "Where did the two most recent holders of the office study?",
        "decomposition": [
            {
                "id": "d",
                "question": "Who are the two most recent holders of the office?",
                "decomposition": [],
                "answer": ["Ann Example", "Bo Sample"],
                "depends_on": [],
                "evidence": {"title": "List of office holders", "pageid": 4, "revid": 1, "url": "u"},
            },
            {
                "id": "e",
                "question": "Where did Ann Example study?",
                "depends_on": ["d"],
                "evidence": None,
                "answer": "Gridley College",
                "decomposition": [
                    {
                        "id": "e1",
                        "question": "Which college did Ann Example attend?",
                        "decomposition": [],
                        "answer": "Gridley College",
                        "depends_on": [],
                        "evidence": {"title": "Ann Example", "pageid": 5, "revid": 1, "url": "u"},
                    }
                ],
            },
            {
                "id": "g",
                "question": "Where did Bo Sample study?",
                "decomposition": [],
                "answer": "Holt University",
                "depends_on": ["d"],
                "evidence": {"title": "Bo Sample", "pageid": 6, "revid": 1, "url": "u"},
            },
        ],
        "answer": {"Ann Example": "Gridley College", "Bo Sample": "Holt University"},
        "categories": ["Education"],
    },
    {
        "id": "f3",
        "question": "Which sub-question lacks evidence?",
        "decomposition": [
            {
                "id": "h",
                "question": "What is missing?",
                "decomposition": [],
                "answer": "x",
                "depends_on": [],
                "evidence": None,
            }
        ],
        "answer": "x",
    },
]


@pytest.fixture
def fanout_file(tmp_path: Path) -> Path:
    path = tmp_path / "fanout-dev.json"
    path.write_text(json.dumps(FANOUT_ROWS))
    return path
