"""Hand-made Mind2Web records in the released format, for the loader, metrics, annotation and eval tests."""

from __future__ import annotations

import json
from typing import Any


def candidate(node: str, tag: str, **attrs: str) -> dict[str, Any]:
    return {
        "tag": tag,
        "attributes": json.dumps({"backend_node_id": node, **attrs}),
        "is_original_target": False,
        "is_top_level_target": False,
        "backend_node_id": node,
    }


SEARCH_PAGE = (
    '<html backend_node_id="1"><body backend_node_id="2">'
    '<form backend_node_id="3" aria_label="Flight search">'
    '<input backend_node_id="10" type="text" placeholder="From">'
    '<input backend_node_id="11" type="text" placeholder="To">'
    '<select backend_node_id="12" name="passengers"><option backend_node_id="20">1 adult</option>'
    '<option backend_node_id="21">2 adults</option></select>'
    '<button backend_node_id="13">Search</button>'
    "</form></body></html>"
)


def flight_record() -> dict[str, Any]:
    """Three steps: TYPE into From, SELECT passengers, CLICK (recorded as ENTER) Search."""
    negatives = [
        candidate("10", "input"),
        candidate("11", "input"),
        candidate("12", "select"),
        candidate("13", "button"),
    ]

    def step(uid: str, op: str, value: str, target: str, original: str | None = None) -> dict[str, Any]:
        return {
            "action_uid": uid,
            "raw_html": "",
            "cleaned_html": SEARCH_PAGE,
            "operation": {"op": op, "original_op": original or op, "value": value},
            "pos_candidates": [c for c in negatives if c["backend_node_id"] == target],
            "neg_candidates": [c for c in negatives if c["backend_node_id"] != target],
        }

    return {
        "annotation_id": "flight-1",
        "website": "airline",
        "domain": "Travel",
        "subdomain": "Airlines",
        "confirmed_task": "Search flights from Boston for 2 adults.",
        "action_reprs": ["[textbox]  From -> TYPE: Boston", "[combobox]  passengers -> SELECT: 2 adults",
                         "[button]  Search -> ENTER"],
        "actions": [step("a1", "TYPE", "Boston", "10"), step("a2", "SELECT", "2 adults", "12"),
                    step("a3", "CLICK", "", "13", "ENTER")],
    }  # fmt: skip


def pruned_record() -> dict[str, Any]:
    """Two steps; the first one's target was pruned (no positive candidate)."""
    page = '<html><body><nav aria_label="Menu"><a backend_node_id="5">Deals</a><a backend_node_id="6">Help</a></nav></body></html>'
    return {
        "annotation_id": "help-2",
        "website": "shop",
        "domain": "Shopping",
        "subdomain": "General",
        "confirmed_task": "Open the help page.",
        "action_reprs": ["[link]  Customer service -> HOVER", "[link]  Help -> CLICK"],
        "actions": [
            {"action_uid": "b1", "cleaned_html": page, "operation": {"op": "CLICK", "original_op": "HOVER", "value": ""},
             "pos_candidates": [], "neg_candidates": [candidate("5", "a"), candidate("6", "a")]},
            {"action_uid": "b2", "cleaned_html": page, "operation": {"op": "CLICK", "original_op": "CLICK", "value": ""},
             "pos_candidates": [candidate("6", "a")], "neg_candidates": [candidate("5", "a")]},
        ],
    }  # fmt: skip
