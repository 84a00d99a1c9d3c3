"""Teacher-free demonstrations for MiniWoB++ tasks.

For each supported task a script reads what a person sees (the utterance, MiniWoB's parsed fields of it,
and the page) and writes a plan (subgoals) and its grounding (CLICK / TYPE / SELECT with a QUERY naming
the element in words, never a ref), running each action with lumos's web tools on the live page before it
decides the next (:mod:`.interactive`: sections to expand, tabs, feedback, popups). Only an episode that
MiniWoB rewards (raw reward > 0) becomes an :class:`Annotation`; that checks both the plan and that the
QUERY grounds to the right element with the ranker.

- :mod:`.look`: what a solver may read, and how it writes a step;
- :mod:`.forms`: solvers whose plan follows from the goal alone;
- :mod:`.interactive`: solvers that read the page after each action;
- :mod:`.shapes`, :mod:`.email`, :mod:`.games`, :mod:`.flights`: the SVG shape tasks, the email inbox,
  tic-tac-toe and book-flight;
- :mod:`.run`: running a solver on an episode, and writing the demonstrations.
"""

from lumos.domains.miniwob.solver.look import Plan, Solver, Step
from lumos.domains.miniwob.solver.run import (
    SOLVERS,
    Demonstration,
    main,
    miniwob_demo_inputs,
    per_task,
    plan_for,
    solve,
    write_demo_folder,
    write_demonstrations,
)

__all__ = [
    "SOLVERS",
    "Demonstration",
    "Plan",
    "Solver",
    "Step",
    "main",
    "miniwob_demo_inputs",
    "per_task",
    "plan_for",
    "solve",
    "write_demo_folder",
    "write_demonstrations",
]
