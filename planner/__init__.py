"""What-if planning: scenarios, trade-off sweeps, replay of live decisions, reports.

    from planner import parse_definition, prepare, evaluate
    prepared = prepare({"name": "close WH-B", "changes": {"close_locations": ["WH-B"]}}, reader)
    outcome = evaluate(prepared.input)      # {"name", "label", "kpis", "solver"}

Imports lifecycle, optimizer and models only; storage and the web come in through a unit of
work the caller hands over. A scenario never writes live data.
"""

from planner.base import ScenarioBase, assemble, load_current, load_replay
from planner.compare import compare
from planner.definition import Changes, ScenarioDefinition, parse_definition
from planner.scenario import ScenarioInput, apply_changes, evaluate
from planner.service import Prepared, prepare
from planner.sweep import frontier, run_many, sweep_inputs

__all__ = [
    "Changes",
    "Prepared",
    "ScenarioBase",
    "ScenarioDefinition",
    "ScenarioInput",
    "apply_changes",
    "assemble",
    "compare",
    "evaluate",
    "frontier",
    "load_current",
    "load_replay",
    "parse_definition",
    "prepare",
    "run_many",
    "sweep_inputs",
]
