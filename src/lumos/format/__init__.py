"""The unified format: types, and the parser/renderer for the text the modules read and write."""

from lumos.format.parse import (
    GO_ON_SENTENCE,
    STOP_SENTENCE,
    PlanDecision,
    parse_action,
    parse_actions,
    parse_decision,
    parse_plan,
    render_actions,
    render_decision,
    render_plan,
    split_args,
    split_top_level,
)
from lumos.format.types import (
    Action,
    ActionResult,
    Annotation,
    ModelCall,
    Step,
    StepError,
    Subgoal,
    Trajectory,
)

__all__ = [
    "GO_ON_SENTENCE",
    "STOP_SENTENCE",
    "Action",
    "ActionResult",
    "Annotation",
    "ModelCall",
    "PlanDecision",
    "Step",
    "StepError",
    "Subgoal",
    "Trajectory",
    "parse_action",
    "parse_actions",
    "parse_decision",
    "parse_plan",
    "render_actions",
    "render_decision",
    "render_plan",
    "split_args",
    "split_top_level",
]
