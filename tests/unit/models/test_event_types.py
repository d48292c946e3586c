"""The list of event types subscriptions and rules are checked against is the code's own."""

from __future__ import annotations

import re
from pathlib import Path

from models.event_types import EVENT_TYPES, closest
from models.fulfillment_flow import EVENT_TYPES as REPORTS
from models.order_status import PaymentStatus

ROOT = Path(__file__).resolve().parents[3]
LITERAL = re.compile(
    r"[\"'](order|payment|fulfillment|service|escalation|notification)\.([a-z_]+)[\"']")


def _literals() -> set[str]:
    found: set[str] = set()
    for package in ("models", "lifecycle", "api", "storage", "dom", "connectors", "broker"):
        for path in (ROOT / package).rglob("*"):
            if path.suffix in (".py", ".yaml"):
                found |= {f"{a}.{b}" for a, b in LITERAL.findall(path.read_text())}
    return found


def test_every_event_type_the_code_names_is_listed() -> None:
    named = _literals()
    assert len(named) > 20  # the scan found the code
    assert named - EVENT_TYPES == set()


def test_the_types_recorded_from_tables_are_listed() -> None:
    # Order._settle_payment records payment.<status> for the statuses it settles to, and
    # fulfillment reports record fulfillment.<report>
    assert {f"payment.{s.value}" for s in (PaymentStatus.AUTHORIZED, PaymentStatus.CONFIRMED,
                                           PaymentStatus.FAILED)} <= EVENT_TYPES
    assert {f"fulfillment.{report}" for report in REPORTS} <= EVENT_TYPES


def test_a_typo_resembles_the_type_it_meant() -> None:
    assert closest("order.recieved") == "order.received"
    assert closest("fulfilment.delayed") == "fulfillment.delayed"
    assert closest("zzz") is None
