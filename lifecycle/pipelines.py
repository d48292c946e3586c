"""Pipelines and rules from configuration (a YAML file shipped in the package, overridable
with ``DOM_PIPELINES_FILE``).

An order records the pipeline name and version it started with, so a change of configuration
never changes the path of an order already on its way.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from models import Order
from models.event_types import EVENT_TYPES, closest

DEFAULT_FILE = Path(__file__).with_name("pipelines.yaml")
KNOWN_STEPS = frozenset({"validate", "payment", "source", "release", "fulfill", "register",
                         "complete"})
ACTIONS = frozenset({"notify", "escalate", "hold"})


class PipelineConfigError(ValueError):
    """The pipeline file cannot be used; the message names the problem."""


@dataclass(frozen=True)
class Rule:
    name: str
    on: str
    actions: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Pipelines:
    version: str
    pipelines: dict[str, tuple[str, ...]]
    rules: tuple[Rule, ...]
    templates: dict[str, dict[str, str]]
    review_hold_above: float | None = None
    pickup_hold_days: int = 7
    source: str = field(default=str(DEFAULT_FILE))

    def kind_of(self, order: Order) -> str:
        if order.product_lines and order.service_lines:
            return "mixed"
        return "services" if order.service_lines else "products"

    def rules_for(self, event_type: str) -> list[Rule]:
        return [rule for rule in self.rules if rule.on == event_type]


def _parse(raw: dict[str, Any], source: str) -> Pipelines:
    if not isinstance(raw, dict) or "pipelines" not in raw:
        raise PipelineConfigError(f"{source}: expected a mapping with 'pipelines'")
    pipelines: dict[str, tuple[str, ...]] = {}
    for name in ("products", "services", "mixed"):
        spec = raw["pipelines"].get(name)
        if not spec or not isinstance(spec.get("steps"), list):
            raise PipelineConfigError(f"{source}: pipeline {name!r} needs a list of steps")
        unknown = [s for s in spec["steps"] if s not in KNOWN_STEPS]
        if unknown:
            raise PipelineConfigError(f"{source}: pipeline {name!r} has unknown steps {unknown}; "
                                      f"known: {sorted(KNOWN_STEPS)}")
        pipelines[name] = tuple(spec["steps"])
    rules = []
    for index, item in enumerate(raw.get("rules") or []):
        actions = []
        for action in item.get("do") or []:
            (kind, arg), = action.items()
            if kind not in ACTIONS:
                raise PipelineConfigError(f"{source}: rule {index} has unknown action {kind!r}")
            actions.append((kind, arg))
        if not isinstance(item, dict) or "event" not in item:
            raise PipelineConfigError(f"{source}: rule {index} needs 'event' (the event type "
                                      "it reacts to) and 'do' (its actions)")
        on = str(item["event"])
        if on not in EVENT_TYPES:  # a typo would leave the rule waiting silently forever
            close = closest(on)
            raise PipelineConfigError(f"{source}: rule {index} reacts to {on!r}, which dom "
                                      "never records" + (f" (did you mean {close!r}?)"
                                                         if close else ""))
        rules.append(Rule(name=str(item.get("name", f"rule {index}")), on=on,
                          actions=tuple(actions)))
    templates = {str(k): {"subject": str(v["subject"]), "body": str(v["body"])}
                 for k, v in (raw.get("notifications") or {}).items()}
    for rule in rules:
        for kind, arg in rule.actions:
            if kind == "notify" and arg not in templates:
                raise PipelineConfigError(f"{source}: rule {rule.name!r} notifies with "
                                          f"unknown template {arg!r}")
    digest = hashlib.sha256(yaml.safe_dump(raw, sort_keys=True).encode()).hexdigest()[:8]
    review = raw.get("review_hold_above")
    return Pipelines(version=f"{raw.get('version', 1)}-{digest}", pipelines=pipelines,
                     rules=tuple(rules), templates=templates,
                     review_hold_above=float(review) if review is not None else None,
                     pickup_hold_days=int(raw.get("pickup_hold_days", 7)),
                     source=source)


@lru_cache(maxsize=4)
def load(path: str | None = None) -> Pipelines:
    chosen = Path(path) if path else DEFAULT_FILE
    try:
        raw = yaml.safe_load(chosen.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise PipelineConfigError(f"cannot read pipelines from {chosen}: {error}") from error
    return _parse(raw, str(chosen))


def steps_of(order: Order) -> tuple[str, ...]:
    """The steps the order started with (orders from before pipelines: the current ones)."""
    recorded = order.attributes.get("pipeline")
    if isinstance(recorded, dict) and isinstance(recorded.get("steps"), list):
        return tuple(str(step) for step in recorded["steps"])
    config = current()
    return config.pipelines[config.kind_of(order)]


def has_step(order: Order, step: str) -> bool:
    return step in steps_of(order)


def current() -> Pipelines:
    """The configuration in force: ``DOM_PIPELINES_FILE`` or the packaged default."""
    return load(os.environ.get("DOM_PIPELINES_FILE") or None)
