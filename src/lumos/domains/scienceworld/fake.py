"""A fake ScienceWorld simulator for tests without Java: a two-room kitchen where water is boiled.

:class:`FakeSimulator` is a :class:`~lumos.domains.scienceworld.simulator.Simulator` whose ``server`` is a
small Python world answering the same calls as the JVM's ``PythonInterface`` (load, reset, step, score,
valid actions, gold path). Every task type loads the same world; the task description names the task type.
``hang_on`` / ``crash_on`` make a command hang (past any time limit) or kill the "JVM", for the crash tests.
"""

from __future__ import annotations

import threading
from typing import Any

from lumos.domains.scienceworld.simulator import Simulator

GOLD = (
    "open door to kitchen",
    "go to kitchen",
    "look around",
    "pick up thermometer",
    "pick up metal pot",
    "focus on water",
    "move metal pot to stove",
    "activate stove",
    "use thermometer in inventory on water",
    "wait1",
)
"""The gold path of every fake variation (scores 100 at ``wait1``)."""


class FakeServer:
    """The fake world (see the module doc)."""

    def __init__(self, hang_on: str | None = None, crash_on: str | None = None) -> None:
        self.hang_on, self.crash_on = hang_on, crash_on
        self.dead = False
        self.killed = threading.Event()
        self.steps: list[str] = []
        self.task = "boil"
        self.variation = 0
        self.loads = 0
        self._new_world()

    def _new_world(self) -> None:
        self.room = "hallway"
        self.door_open = False
        self.inventory: set[str] = set()
        self.on_stove = False
        self.stove_on = False
        self.focused: str | None = None
        self.score = 0.0
        self.moves = 0

    # ---------------------------------------------------------------- the JVM's PythonInterface calls

    def load(self, task: str, variation: int, simplification: str, gold: bool) -> None:
        self._alive()
        self.task, self.variation = task, variation
        self.loads += 1
        self._new_world()

    def reset(self) -> None:
        self._alive()
        self._new_world()

    def freeActionTaskDesc(self) -> str:
        return f"Task Description:\nYour task is to {self.task} water (variation {self.variation}). First, focus on the water."

    def freeActionLook(self) -> str:
        if self.room == "hallway":
            door = "open" if self.door_open else "closed"
            return f"This room is called the hallway. In it, you see: \n\tthe agent\nYou also see:\n\tA door to the kitchen (that is {door})"
        things = [t for t in ("thermometer", "metal pot") if t not in self.inventory]
        listed = "".join(f"\n\ta {t}" for t in things)
        pot = " On the stove is: a metal pot." if self.on_stove else ""
        return f"This room is called the kitchen. In it, you see: \n\tthe agent\n\ta stove.{pot}{listed}"

    def freeActionInventory(self) -> str:
        return "In your inventory, you see:\n" + "".join(f"\ta {t}\n" for t in sorted(self.inventory))

    def getScore(self) -> float:
        return self.score

    def getCompleted(self) -> bool:
        return self.score >= 1.0

    def getNumMoves(self) -> int:
        return self.moves

    def getGoldActionSequence(self) -> list[str]:
        return list(GOLD)

    def getValidActionObjectCombinations(self) -> list[str]:
        return sorted(a for a in self._known() if self._effect(a, dry=True) is not None)

    def step(self, command: str) -> str:
        self._alive()
        self.steps.append(command)
        if command == self.hang_on:  # until the JVM is killed
            self.killed.wait(3600)
            self.dead = True
            raise ConnectionError("the fake JVM was killed")
        if command == self.crash_on:
            self.dead = True
            raise ConnectionError("Error while receiving (the fake JVM died)")
        observation = self._effect(command, dry=False)
        if observation is None:
            return "No known action matches that input."
        self.moves += 1
        return observation

    # ---------------------------------------------------------------- the world

    def _alive(self) -> None:
        if self.dead:
            raise ConnectionError("the fake JVM is gone")

    def _known(self) -> list[str]:
        return [
            *GOLD,
            "close door to kitchen",
            "go to hallway",
            "teleport to kitchen",
            "focus on stove",
            "inventory",
            "look at stove",
            "deactivate stove",
        ]

    def _effect(self, command: str, dry: bool) -> str | None:
        here = self.room
        world: dict[str, Any] = {}
        if command == "look around":
            return self.freeActionLook()
        if command == "inventory":
            return self.freeActionInventory()
        if command == "open door to kitchen" and here == "hallway":
            world["door_open"] = True
            out = "The door is already open." if self.door_open else "The door is now open."
        elif command == "close door to kitchen" and here == "hallway":
            world["door_open"] = False
            out = "The door is now closed."
        elif command == "go to kitchen" and here == "hallway":
            if not self.door_open:
                return "The door is not open."
            world["room"], out = "kitchen", "You move to the kitchen."
        elif command == "teleport to kitchen":
            world["room"], out = "kitchen", "You teleport to the kitchen."
        elif command == "go to hallway" and here == "kitchen":
            world["room"], out = "hallway", "You move to the hallway."
        elif command in ("pick up thermometer", "pick up metal pot") and here == "kitchen":
            thing = command.removeprefix("pick up ")
            world["inventory"] = self.inventory | {thing}
            world["on_stove"] = False if thing == "metal pot" else self.on_stove
            out = f"You move the {thing} to the inventory."
        elif command == "focus on water" and "metal pot" in self.inventory | ({"metal pot"} if self.on_stove else set()):
            world["focused"], world["score"] = "water", max(self.score, 0.5)
            out = "You focus on the water."
        elif command == "focus on stove" and here == "kitchen":
            world["focused"], world["score"] = "stove", -1.0
            out = "You focus on the stove."
        elif command == "move metal pot to stove" and "metal pot" in self.inventory and here == "kitchen":
            world["inventory"], world["on_stove"] = self.inventory - {"metal pot"}, True
            out = "You move the metal pot to the stove."
        elif command in ("activate stove", "deactivate stove") and here == "kitchen":
            world["stove_on"] = command == "activate stove"
            out = f"The stove is now {command.split()[0]}d."
        elif command == "look at stove" and here == "kitchen":
            out = "a stove, which is " + ("on" if self.stove_on else "off")
        elif command == "use thermometer in inventory on water" and "thermometer" in self.inventory:
            out = f"the thermometer measures a temperature of {100 if self.stove_on and self.on_stove else 20} degrees celsius"
        elif command == "wait1":
            boiled = self.stove_on and self.on_stove and self.focused == "water"
            world["score"] = 1.0 if boiled else self.score
            out = "You decide to wait for 1 iterations."
        else:
            return None
        if not dry:
            for key, value in world.items():
                setattr(self, key, value)
        return out


class FakeSimulator(Simulator):
    """A :class:`Simulator` over :class:`FakeServer` (no JVM)."""

    def __init__(self, index: int = 0, *, hang_on: str | None = None, crash_on: str | None = None) -> None:
        self._fake = FakeServer(hang_on, crash_on)
        super().__init__(index)

    def _start(self, seconds: float) -> None:
        self.server = self._fake

    def _running(self) -> bool:
        return not self._fake.dead

    def close(self) -> None:
        self._fake.dead = True
        self._fake.killed.set()
        super().close()
