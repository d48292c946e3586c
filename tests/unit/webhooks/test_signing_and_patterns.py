"""Signatures (Standard Webhooks), event patterns, and the body that is signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from lifecycle.webhooks import body_of, check_patterns, headers_for, matches, sign
from models import Event, InvalidInput
from models.event_types import EVENT_TYPES


def test_the_signature_is_base64_hmac_sha256_of_id_timestamp_and_body() -> None:
    secret, message_id, timestamp = "whsec-test-0123456789", "evt_01", 1_700_000_000
    body = '{"id":"evt_01","type":"order.received"}'
    expected = base64.b64encode(hmac.new(
        secret.encode("utf-8"), f"{message_id}.{timestamp}.{body}".encode(),
        hashlib.sha256).digest()).decode()
    assert sign(secret, message_id, timestamp, body) == f"v1,{expected}"


def test_a_known_vector_signs_to_a_fixed_value() -> None:
    # Computed outside Python: printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test":
    # 2432232314}' | openssl dgst -sha256 -hmac 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' -binary | base64
    signature = sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                     1614265330, '{"test": 2432232314}')
    assert signature == "v1,ELhqG0Ku1gwOc1f4jyKdp3SFGFLAOdJ9bvpWLciCakI="


def test_a_tampered_body_does_not_verify() -> None:
    good = sign("s" * 16, "evt_1", 1, '{"a":1}')
    assert sign("s" * 16, "evt_1", 1, '{"a":2}') != good
    assert sign("s" * 16, "evt_1", 2, '{"a":1}') != good
    assert sign("t" * 16, "evt_1", 1, '{"a":1}') != good


def test_headers_carry_the_event_id_the_timestamp_and_the_signature() -> None:
    headers = headers_for("k" * 20, "evt_9", 1234, "{}")
    assert headers["webhook-id"] == "evt_9"
    assert headers["webhook-timestamp"] == "1234"
    assert headers["webhook-signature"] == sign("k" * 20, "evt_9", 1234, "{}")
    assert headers["content-type"] == "application/json"


def test_the_body_is_the_event_in_the_contract_shape() -> None:
    event = Event(type="payment.confirmed", order_id="ord_1", message="Payment confirmed",
                  data={"amount": 10}, id="evt_1", seq=3,
                  at=datetime(2026, 11, 28, 10, 0, tzinfo=UTC))
    body = json.loads(body_of(event))
    assert {k: body[k] for k in ("id", "type", "at", "order_id", "seq", "data", "message")} == {
        "id": "evt_1", "type": "payment.confirmed", "at": "2026-11-28T10:00:00Z",
        "order_id": "ord_1", "seq": 3, "data": {"amount": 10}, "message": "Payment confirmed"}


@pytest.mark.parametrize(("patterns", "event_type", "wanted"), [
    (["*"], "order.received", True),
    (["order.*"], "order.received", True),
    (["order.*"], "order.status_changed", True),
    (["order.*"], "orders.received", False),
    (["order.*"], "order", False),
    (["order.*"], "payment.confirmed", False),
    (["fulfillment.*"], "fulfillment.shipped", True),
    (["payment.confirmed"], "payment.confirmed", True),
    (["payment.confirmed"], "payment.failed", False),
    (["payment.failed", "order.*"], "payment.failed", True),
])
def test_patterns_name_a_type_a_prefix_or_everything(patterns: list[str], event_type: str,
                                                     wanted: bool) -> None:
    assert matches(patterns, event_type) is wanted


@pytest.mark.parametrize("bad", ["", "order.", "*.received", "order.*.x", "Order.*", "order *",
                                 "order.**"])
def test_malformed_patterns_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        check_patterns([bad])


@pytest.mark.parametrize("never", ["bogus", "orders.*", "oder.received", "inventory.changed",
                                   "order", "order.recieved", "order.received.*",
                                   "fulfillment.teleported", "payment.pending", "inventory.*"])
def test_a_pattern_no_event_could_match_is_refused_naming_the_families(never: str) -> None:
    with pytest.raises(InvalidInput, match=r"order\., payment\."):
        check_patterns(["order.*", never])


def test_a_typo_in_an_event_type_is_refused_with_the_type_it_resembles() -> None:
    with pytest.raises(InvalidInput, match=r"did you mean 'order\.received'"):
        check_patterns(["order.recieved"])


def test_every_event_type_dom_records_and_its_prefixes_are_accepted() -> None:
    assert check_patterns(sorted(EVENT_TYPES)) == sorted(EVENT_TYPES)
    assert check_patterns(["fulfillment.*", "escalation.*"]) == ["fulfillment.*", "escalation.*"]


def test_every_family_of_the_event_types_is_accepted() -> None:
    types = ["order.received", "payment.authorized", "fulfillment.shipped",
             "service.registered", "escalation.opened", "notification.sent", "order.*", "*"]
    assert check_patterns(types) == types


def test_patterns_must_not_be_empty_and_repeats_are_dropped() -> None:
    with pytest.raises(InvalidInput):
        check_patterns([])
    assert check_patterns(["order.*", "*", "order.*"]) == ["order.*", "*"]
