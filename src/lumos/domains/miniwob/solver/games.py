"""Solvers for the game tasks: tic-tac-toe, read from the board after each move."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from lumos.domains.miniwob.env import MiniWoBPage
from lumos.domains.miniwob.solver.look import Step, click, grounded, run_js

_LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))
_BOARD = (
    "return [0,1,2,3,4,5,6,7,8].map(function (k) { var c = document.getElementById('ttt-' + k);"
    " return c ? (c.className || '') : ''; });"
)
SMART = 0.45
"""How often the opponent takes a winning or blocking move when one exists (it plays at random otherwise)."""


def _won(board: str, mark: str) -> bool:
    return any(all(board[i] == mark for i in line) for line in _LINES)


def _finishing(board: str, mark: str) -> list[int]:
    """The free cells that complete a line of ``mark``."""
    return sorted(
        {i for line in _LINES for i in line if board[i] == "." and sum(board[j] == mark for j in line) == 2}
    )


@cache
def _x_to_move(board: str) -> tuple[float, int]:
    """(the chance that X wins, the best cell) with X to move, against the page's opponent."""
    best = (-1.0, -1)
    for k in (i for i, c in enumerate(board) if c == "."):
        after = board[:k] + "X" + board[k + 1 :]
        value = 1.0 if _won(after, "X") else (0.0 if "." not in after else _o_to_move(after))
        best = max(best, (value, k), key=lambda v: v[0])
    return best


@cache
def _o_to_move(board: str) -> float:
    free = [i for i, c in enumerate(board) if c == "."]
    smart = _finishing(board, "O") or _finishing(board, "X")
    chance = {k: (1 - SMART) / len(free) + (0 if smart else SMART / len(free)) for k in free}
    for k in smart:
        chance[k] += SMART / len(smart)
    value = 0.0
    for k, p in chance.items():
        after = board[:k] + "O" + board[k + 1 :]
        if _won(after, "O") or "." not in after:
            continue
        value += p * _x_to_move(after)[0]
    return value


def tic_tac_toe(page: MiniWoBPage) -> Iterator[Step]:
    for _ in range(5):
        classes = [str(c) for c in run_js(page, _BOARD) or []]
        board = "".join("X" if "mark-x" in c else "O" if "mark-o" in c else "." for c in classes)
        if len(board) != 9 or "." not in board:
            return
        _, k = _x_to_move(board)
        row, col = k // 3 + 1, k % 3 + 1
        cells = [e for e in page.elements() if e.attributes.get("id") == f"ttt-{k}"]
        name = f"row {row} column {col} cell"
        query = grounded(page, cells[0], name) if cells else name
        yield click(f"Mark the cell in row {row}, column {col}.", query)
        if page.result().done:
            return
