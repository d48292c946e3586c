"""An operator's pipelines file: mistakes are refused when it loads, not left to fail quietly."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle import pipelines
from lifecycle.pipelines import PipelineConfigError


def _edited(tmp_path: Path, old: str, new: str) -> str:
    text = pipelines.DEFAULT_FILE.read_text()
    assert old in text
    path = tmp_path / "pipelines.yaml"
    path.write_text(text.replace(old, new, 1))
    return str(path)


def test_the_packaged_rules_react_to_events_dom_records() -> None:
    assert pipelines.load(None).rules


def test_a_rule_on_an_event_dom_never_records_is_refused_with_the_one_it_resembles(
        tmp_path: Path) -> None:
    path = _edited(tmp_path, "event: fulfillment.delayed", "event: fulfilment.delayed")
    with pytest.raises(PipelineConfigError,
                       match=r"'fulfilment\.delayed'.*did you mean 'fulfillment\.delayed'"):
        pipelines.load(path)


def test_a_rule_on_a_pattern_is_refused_rules_take_one_type(tmp_path: Path) -> None:
    with pytest.raises(PipelineConfigError, match="never records"):
        pipelines.load(_edited(tmp_path, "event: order.backordered", "event: order.*"))
