"""Channel connectors: Amazon SP-API orders and Shopify order webhooks through the API."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, CHANNEL, order_body
from tests.api.helpers import all_orders, assert_problem, use_pipelines

FIXTURES = Path(__file__).parent.parent / "unit" / "connectors" / "fixtures"
EXTRA_SKUS = ("CAM-SD-128", "CAMERA-Z", "CAM-LENS-50")


def _fixture(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return body


@pytest.fixture
def catalog(seeded: TestClient) -> TestClient:
    """The seeded app plus the SKUs the connector fixtures sell."""
    for sku in EXTRA_SKUS:
        assert seeded.put(f"/v1/products/{sku}", json={"name": sku},
                          headers=ADMIN).status_code == 201
    return seeded


@pytest.fixture
def amazon() -> dict[str, Any]:
    return _fixture("amazon_order_unshipped.json")


@pytest.fixture
def shopify() -> dict[str, Any]:
    return _fixture("shopify_orders_create.json")


# --- Amazon -----------------------------------------------------------------------------------

def test_an_amazon_order_becomes_a_marketplace_order(catalog: TestClient,
                                                     amazon: dict[str, Any]) -> None:
    response = catalog.post("/v1/channels/amazon/orders", json=amazon, headers=CHANNEL)
    assert response.status_code == 201, response.text
    order = response.json()
    assert (order["channel"], order["source"]) == ("marketplace", "amazon")
    assert order["channel_order_id"] == amazon["AmazonOrderId"]
    assert order["tracking_token"]
    assert order["payment"] == {"status": "authorized"}
    # the item with QuantityOrdered 0 is left out; ItemPrice is a line total, less its promotion
    assert [(line["line_id"], line["sku"], line["qty"], line["unit_price"])
            for line in order["lines"]] == [("68828574383266", "LAPTOP-15", 1, 999.0),
                                            ("68828574383267", "CAM-SD-128", 3, 31.666667)]
    assert order["total"] == pytest.approx(999.0 + 95.0)  # what the customer pays for goods
    assert order["ship_to"]["postal_code"].startswith("98121")
    assert order["ship_to"]["lat"] == pytest.approx(47.6, abs=0.2)
    assert order["timeline"][0]["type"] == "order.received"
    stored = catalog.get(f"/v1/orders/{order['order_id']}", headers=ADMIN).json()
    assert stored["source"] == "amazon" and stored["channel"] == "marketplace"


def test_importing_the_same_amazon_order_again_returns_it_with_200(
        catalog: TestClient, amazon: dict[str, Any]) -> None:
    first = catalog.post("/v1/channels/amazon/orders", json=amazon, headers=CHANNEL)
    updated = copy.deepcopy(amazon)
    updated["LastUpdateDate"] = "2025-11-04T09:00:00Z"
    again = catalog.post("/v1/channels/amazon/orders", json=updated, headers=CHANNEL)
    assert again.status_code == 200, again.text
    assert again.json()["order_id"] == first.json()["order_id"]
    assert len(all_orders(catalog)) == 1


def test_a_pending_amazon_order_without_prices_waits_for_payment(
        catalog: TestClient) -> None:
    response = catalog.post("/v1/channels/amazon/orders",
                            json=_fixture("amazon_order_pending.json"), headers=CHANNEL)
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["payment"] == {"status": "pending"}
    assert order["priority"] > 0  # Prime, NextDay
    assert [line["sku"] for line in order["lines"]] == ["PHONE-X"]


def _now_unshipped(pending: dict[str, Any], price: str) -> dict[str, Any]:
    """The pending order as Amazon sends it again once it authorized the payment."""
    later = copy.deepcopy(pending)
    later.update(OrderStatus="Unshipped", LastUpdateDate="2025-11-28T05:31:35Z",
                 OrderTotal={"CurrencyCode": "USD", "Amount": price})
    later["OrderItems"][0]["ItemPrice"] = {"CurrencyCode": "USD", "Amount": price}
    return later


def test_a_pending_amazon_order_sent_again_once_paid_takes_its_payment_and_prices(
        catalog: TestClient) -> None:
    pending = _fixture("amazon_order_pending.json")
    first = catalog.post("/v1/channels/amazon/orders", json=pending, headers=CHANNEL).json()
    assert (first["status"], first["total"]) == ("received", 0.0)
    paid = _now_unshipped(pending, "799.00")
    again = catalog.post("/v1/channels/amazon/orders", json=paid, headers=CHANNEL)
    assert again.status_code == 200, again.text
    order = again.json()
    assert order["order_id"] == first["order_id"]
    assert order["payment"] == {"status": "authorized"}
    assert [line["unit_price"] for line in order["lines"]] == [799.0]
    assert order["total"] == 799.0
    assert order["status"] == "allocated"  # sourced now: the phone is at ST-1
    types = [event["type"] for event in order["timeline"]]
    assert "payment.authorized" in types and "order.allocated" in types
    stored = catalog.get(f"/v1/orders/{order['order_id']}", headers=ADMIN).json()
    assert (stored["total"], stored["lines"][0]["unit_price"]) == (799.0, 799.0)
    priced = [e for e in stored["timeline"] if e["type"] == "order.priced"]
    assert [e["message"] for e in priced] == ["Prices received: total 799.00 USD"]
    tracked = catalog.get(f"/v1/track/{order['order_id']}",
                          params={"token": order["tracking_token"]}).json()
    assert "order.priced" not in [e["type"] for e in tracked["timeline"]]  # staff's matter
    # the same news again changes nothing; a different price later is not taken either
    repeat = catalog.post("/v1/channels/amazon/orders", json=_now_unshipped(pending, "1.00"),
                          headers=CHANNEL).json()
    assert repeat["timeline"] == stored["timeline"] and repeat["total"] == 799.0


def test_a_paid_re_send_in_another_currency_or_without_a_line_is_refused_whole(
        catalog: TestClient) -> None:
    """Its amounts would be stored in the order's currency, or a line sourced at price 0."""
    pending = _fixture("amazon_order_pending.json")
    first = catalog.post("/v1/channels/amazon/orders", json=pending, headers=CHANNEL).json()
    in_euros = _now_unshipped(pending, "5.00")
    in_euros["OrderTotal"]["CurrencyCode"] = "EUR"
    in_euros["OrderItems"][0]["ItemPrice"]["CurrencyCode"] = "EUR"
    refused = catalog.post("/v1/channels/amazon/orders", json=in_euros, headers=CHANNEL)
    assert refused.status_code == 422, refused.text
    assert "USD" in refused.json()["detail"] and "EUR" in refused.json()["detail"]
    other_sku = _now_unshipped(pending, "799.00")
    other_sku["OrderItems"][0]["SellerSKU"] = "LAPTOP-15"
    refused = catalog.post("/v1/channels/amazon/orders", json=other_sku, headers=CHANNEL)
    assert refused.status_code == 422, refused.text
    assert "without a price" in refused.json()["detail"]
    stored = catalog.get(f"/v1/orders/{first['order_id']}", headers=ADMIN).json()
    assert (stored["payment"], stored["total"], stored["status"]) == (
        {"status": "pending"}, 0.0, "received")
    assert [e["type"] for e in stored["timeline"]] == [e["type"] for e in first["timeline"]]


def test_a_pending_order_priced_above_the_review_threshold_when_paid_is_held(
        catalog: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_pipelines(tmp_path, monkeypatch, "review_hold_above: null", "review_hold_above: 500")
    pending = _fixture("amazon_order_pending.json")
    catalog.post("/v1/channels/amazon/orders", json=pending, headers=CHANNEL)
    order = catalog.post("/v1/channels/amazon/orders", json=_now_unshipped(pending, "799.00"),
                         headers=CHANNEL).json()
    assert (order["status"], order["payment"]["status"]) == ("on_hold", "authorized")
    assert order["fulfillments"] == []  # held for review, not sourced


def test_a_services_order_priced_and_paid_on_a_re_send_is_held_as_at_intake(
        catalog: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_pipelines(tmp_path, monkeypatch, "review_hold_above: null", "review_hold_above: 500")
    lines = [{"line_id": "1", "sku": "WARRANTY-3Y", "qty": 6, "unit_price": 0}]
    body = order_body("SVC-R", payment={"status": "pending"}, lines=lines)
    catalog.post("/v1/orders", json=body, headers=CHANNEL)
    body["payment"], body["lines"][0]["unit_price"] = {"status": "confirmed"}, 99.0
    resent = catalog.post("/v1/orders", json=body, headers=CHANNEL).json()
    fresh = catalog.post("/v1/orders", json={**body, "channel_order_id": "SVC-R2"},
                         headers=CHANNEL).json()
    assert (resent["total"], resent["status"]) == (fresh["total"], fresh["status"]) == \
        (594.0, "on_hold")
    types = [event["type"] for event in resent["timeline"]]
    assert types.count("order.priced") == 1 and "payment.confirmed" in types


def test_a_pending_shopify_order_sent_again_as_paid_is_sourced(
        catalog: TestClient, shopify: dict[str, Any]) -> None:
    shopify["financial_status"] = "pending"
    first = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL).json()
    assert (first["payment"], first["fulfillments"]) == ({"status": "pending"}, [])
    shopify["financial_status"] = "paid"
    order = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL).json()
    assert order["payment"] == {"status": "confirmed"}  # "paid" is captured
    assert order["status"] == "backordered"  # sourced now (nothing stocks its SKUs)
    assert "payment.confirmed" in [event["type"] for event in order["timeline"]]


@pytest.mark.parametrize("sent_before", [["authorized"], ["pending", "authorized"]],
                         ids=["imported-authorized", "pending-then-authorized"])
def test_a_shopify_order_sent_again_once_captured_confirms_its_authorized_payment(
        catalog: TestClient, shopify: dict[str, Any], sent_before: list[str]) -> None:
    for status in sent_before:
        shopify["financial_status"] = status
        before = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL)
        assert before.status_code in (200, 201), before.text
    assert before.json()["payment"] == {"status": "authorized"}
    status_before = before.json()["status"]
    shopify["financial_status"] = "paid"
    order = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL).json()
    assert order["payment"] == {"status": "confirmed"}
    assert order["status"] == status_before  # sourced already: money does not move it back
    types = [event["type"] for event in order["timeline"]]
    assert types.count("payment.confirmed") == 1
    again = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL).json()
    assert [event["type"] for event in again["timeline"]].count("payment.confirmed") == 1


@pytest.mark.parametrize("changes,mentions", [
    pytest.param({"FulfillmentChannel": "AFN"}, "fulfilled by Amazon", id="afn"),
    pytest.param({"OrderStatus": "Canceled"}, "cancelled", id="cancelled"),
    pytest.param({"OrderStatus": "Shipped"}, "shipped", id="shipped"),
])
def test_an_amazon_order_dom_must_not_fulfil_is_422_with_a_clear_message(
        catalog: TestClient, amazon: dict[str, Any], changes: dict[str, Any],
        mentions: str) -> None:
    response = catalog.post("/v1/channels/amazon/orders", json={**amazon, **changes},
                            headers=CHANNEL)
    problem = assert_problem(response, 422)
    assert mentions in problem["detail"]
    assert amazon["AmazonOrderId"] in problem["detail"]
    assert all_orders(catalog) == []


def test_an_amazon_order_with_an_unknown_sku_is_refused_and_nothing_written(
        seeded: TestClient, amazon: dict[str, Any]) -> None:
    problem = assert_problem(seeded.post("/v1/channels/amazon/orders", json=amazon,
                                         headers=CHANNEL), 422)
    assert "CAM-SD-128" in problem["detail"]
    assert all_orders(seeded) == []


def test_an_unknown_sku_is_refused_at_the_channels_own_field(
        seeded: TestClient, amazon: dict[str, Any], shopify: dict[str, Any]) -> None:
    """Found only when the order is taken in, on the canonical line (lines[0] here, the item
    with no quantity being left out): the refusal still names the field Amazon sent."""
    amazon["OrderItems"] = [amazon["OrderItems"][2], *amazon["OrderItems"][:2]]  # qty 0 first
    problem = assert_problem(seeded.post("/v1/channels/amazon/orders", json=amazon,
                                         headers=CHANNEL), 422)
    assert problem["errors"][0]["loc"] == ["body", "OrderItems[2].SellerSKU"]
    problem = assert_problem(seeded.post("/v1/channels/shopify/orders", json=shopify,
                                         headers=CHANNEL), 422)
    assert problem["errors"][0]["loc"] == ["body", "line_items[0].sku"]
    assert all_orders(seeded) == []


def test_an_unknown_sku_is_located_by_the_item_it_came_from_not_by_its_id(
        catalog: TestClient, shopify: dict[str, Any]) -> None:
    """A skipped item (quantity 0) sharing its id with the refused one is not the culprit."""
    first, second = shopify["line_items"]
    shopify["line_items"] = [{**first, "quantity": 0, "current_quantity": 0}, second,
                             {**first, "sku": "NOPE-1"}]
    problem = assert_problem(catalog.post("/v1/channels/shopify/orders", json=shopify,
                                          headers=CHANNEL), 422)
    assert problem["errors"][0]["loc"] == ["body", "line_items[2].sku"]
    assert all_orders(catalog) == []


@pytest.mark.parametrize("mutate,mentions", [
    pytest.param(lambda o: o.pop("AmazonOrderId"), "AmazonOrderId", id="no-order-id"),
    pytest.param(lambda o: o.pop("OrderItems"), "OrderItems", id="no-items"),
    pytest.param(lambda o: o["OrderItems"][0].update(QuantityOrdered="many"),
                 "QuantityOrdered", id="bad-quantity"),
])
def test_a_malformed_amazon_payload_names_the_field(
        catalog: TestClient, amazon: dict[str, Any], mutate: Any, mentions: str) -> None:
    mutate(amazon)
    problem = assert_problem(catalog.post("/v1/channels/amazon/orders", json=amazon,
                                          headers=CHANNEL), 422)
    assert mentions in problem["detail"]
    assert all_orders(catalog) == []


def test_an_amazon_order_cancelled_after_import_is_cancelled_here(
        catalog: TestClient, amazon: dict[str, Any]) -> None:
    imported = catalog.post("/v1/channels/amazon/orders", json=amazon, headers=CHANNEL).json()
    assert imported["status"] in ("allocated", "partially_allocated", "backordered")
    reserved = sum(p["reserved"] for p in catalog.get(
        "/v1/inventory", params={"sku": "LAPTOP-15"}, headers=ADMIN).json()["positions"])
    assert reserved == 1
    amazon["OrderStatus"] = "Canceled"
    cancelled = catalog.post("/v1/channels/amazon/orders", json=amazon, headers=CHANNEL)
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["order_id"], body["status"]) == (imported["order_id"], "cancelled")
    (cancel,) = [e["message"] for e in body["timeline"] if e["type"] == "order.cancelled"]
    assert "cancelled on Amazon" in cancel
    assert sum(p["reserved"] for p in catalog.get(
        "/v1/inventory", params={"sku": "LAPTOP-15"}, headers=ADMIN).json()["positions"]) == 0
    again = catalog.post("/v1/channels/amazon/orders", json=amazon, headers=CHANNEL)
    assert (again.status_code, again.json()["status"]) == (200, "cancelled")


def test_a_channel_cancel_keeps_the_idempotency_key_rules(
        catalog: TestClient, amazon: dict[str, Any]) -> None:
    """The import's key reused for the cancel is 422 (another body) and cancels nothing; a
    cancel retried with its own key replays its answer."""
    keyed = {**CHANNEL, "Idempotency-Key": "amz-1"}
    imported = catalog.post("/v1/channels/amazon/orders", json=amazon, headers=keyed)
    assert imported.status_code == 201, imported.text
    cancel = {**amazon, "OrderStatus": "Canceled"}
    reused = catalog.post("/v1/channels/amazon/orders", json=cancel, headers=keyed)
    assert reused.status_code == 422, reused.text
    order = catalog.get(f"/v1/orders/{imported.json()['order_id']}", headers=ADMIN).json()
    assert order["status"] != "cancelled"
    own = {**CHANNEL, "Idempotency-Key": "amz-1-cancel"}
    first = catalog.post("/v1/channels/amazon/orders", json=cancel, headers=own)
    again = catalog.post("/v1/channels/amazon/orders", json=cancel, headers=own)
    assert (first.status_code, first.json()["status"]) == (200, "cancelled")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()


def test_a_shopify_order_cancelled_after_import_is_cancelled_here(
        catalog: TestClient, shopify: dict[str, Any]) -> None:
    imported = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL)
    assert imported.status_code == 201, imported.text
    shopify["cancelled_at"] = "2026-11-27T12:00:00-05:00"
    cancelled = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL)
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert cancelled.json()["order_id"] == imported.json()["order_id"]


def test_a_shopify_order_whose_payment_is_voided_after_import_is_held_for_payment(
        catalog: TestClient, shopify: dict[str, Any]) -> None:
    shopify["financial_status"] = "authorized"
    imported = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL)
    assert imported.status_code == 201, imported.text
    shopify["financial_status"] = "voided"
    voided = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL)
    assert voided.status_code == 200, voided.text
    order = voided.json()
    assert order["order_id"] == imported.json()["order_id"]
    assert (order["status"], order["hold_reason"], order["payment"]) == \
        ("on_hold", "payment_failed", {"status": "failed"})
    (failed,) = [e for e in order["timeline"] if e["type"] == "payment.failed"]
    assert failed["message"] == "Payment failed: payment voided on Shopify"
    again = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL)
    assert [e["type"] for e in again.json()["timeline"]].count("payment.failed") == 1
    shopify["financial_status"] = "paid"  # the merchant took the payment after all
    paid = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL).json()
    assert (paid["payment"], paid["hold_reason"]) == ({"status": "confirmed"}, None)
    assert paid["status"] == imported.json()["status"]  # back where its fulfillments are


def test_a_shopify_re_send_with_a_junk_cancelled_at_is_refused_and_cancels_nothing(
        catalog: TestClient, shopify: dict[str, Any]) -> None:
    imported = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL)
    assert imported.status_code == 201, imported.text
    shopify["cancelled_at"] = "garbage"
    problem = assert_problem(catalog.post("/v1/channels/shopify/orders", json=shopify,
                                          headers=CHANNEL), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "cancelled_at"]]
    order = catalog.get(f"/v1/orders/{imported.json()['order_id']}", headers=ADMIN).json()
    assert order["status"] == imported.json()["status"] != "cancelled"


def test_a_refused_amazon_field_is_the_problem_s_location(
        catalog: TestClient, amazon: dict[str, Any]) -> None:
    amazon["FulfillmentChannel"] = "XYZ"
    problem = assert_problem(catalog.post("/v1/channels/amazon/orders", json=amazon,
                                          headers=CHANNEL), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "FulfillmentChannel"]]


def test_a_connector_payload_that_is_not_an_object_is_422(catalog: TestClient) -> None:
    assert_problem(catalog.post("/v1/channels/amazon/orders", json=[1, 2],
                                headers=CHANNEL), 422)


# --- Shopify ----------------------------------------------------------------------------------

def test_a_shopify_order_becomes_a_web_order(catalog: TestClient,
                                             shopify: dict[str, Any]) -> None:
    response = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL)
    assert response.status_code == 201, response.text
    order = response.json()
    assert (order["channel"], order["source"]) == ("web", "shopify")
    assert order["channel_order_id"] == str(shopify["id"])
    assert order["customer"]["id"] == f"shopify:{shopify['customer']['id']}"
    assert [(line["sku"], line["qty"], line["unit_price"]) for line in order["lines"]] == \
        [("CAMERA-Z", 1, 1199.0), ("CAM-LENS-50", 1, 149.0)]
    assert order["attributes"].get("channel_reference") == "#1001"
    assert order["ship_to"]["lat"] == pytest.approx(40.7484)


def test_a_repeated_shopify_webhook_returns_the_same_order(
        catalog: TestClient, shopify: dict[str, Any]) -> None:
    first = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL)
    again = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["order_id"] == first.json()["order_id"]
    assert len(all_orders(catalog)) == 1


def test_another_shop_s_order_with_the_same_id_is_refused_not_answered_with_this_one(
        catalog: TestClient, shopify: dict[str, Any]) -> None:
    """A second shop on channel web numbering its orders like Shopify: not a re-send."""
    first = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL)
    assert first.status_code == 201, first.text
    other = {"channel": "web", "source": "woocommerce", "channel_order_id": str(shopify["id"]),
             "customer": {"id": "woo:1", "name": "Someone Else"},
             "ship_to": {"lat": 40.71, "lon": -74.0}, "payment": {"status": "authorized"},
             "lines": [{"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0}]}
    refused = catalog.post("/v1/orders", json=other, headers=CHANNEL)
    problem = assert_problem(refused, 409)
    assert "needs an id of its own" in problem["detail"]
    assert "Someone" not in json.dumps(all_orders(catalog))
    quoted = catalog.post("/v1/allocate", json={"order": other, "commit": True},
                          headers=CHANNEL)
    assert_problem(quoted, 409)
    assert len(all_orders(catalog)) == 1
    # a re-send without a source is still the same order (the contract's rule)
    plain = {**other, "source": None}
    plain.pop("source")
    assert catalog.post("/v1/orders", json=plain, headers=CHANNEL).status_code == 200


def test_a_shopify_order_with_a_pickup_note_is_a_store_pickup(
        catalog: TestClient, shopify: dict[str, Any]) -> None:
    shopify["note_attributes"] = [{"name": "pickup_location_id", "value": "ST-1"}]
    response = catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL)
    assert response.status_code == 201, response.text
    assert response.json()["delivery"] == {"method": "pickup", "location_id": "ST-1"}


def test_a_shopify_pickup_at_a_store_without_pickup_is_refused(
        catalog: TestClient, shopify: dict[str, Any]) -> None:
    shopify["note_attributes"] = [{"name": "pickup_location_id", "value": "ST-2"}]
    problem = assert_problem(catalog.post("/v1/channels/shopify/orders", json=shopify,
                                          headers=CHANNEL), 422)
    assert "pickup" in problem["detail"]
    assert all_orders(catalog) == []


@pytest.mark.parametrize("changes,mentions", [
    pytest.param({"cancelled_at": "2025-11-10T11:00:00-05:00"}, "cancelled", id="cancelled"),
    pytest.param({"financial_status": "voided"}, "voided", id="voided"),
    pytest.param({"financial_status": "refunded"}, "refunded", id="refunded"),
])
def test_a_shopify_order_dom_must_not_fulfil_is_422(
        catalog: TestClient, shopify: dict[str, Any], changes: dict[str, Any],
        mentions: str) -> None:
    problem = assert_problem(catalog.post("/v1/channels/shopify/orders",
                                          json={**shopify, **changes}, headers=CHANNEL), 422)
    assert mentions in problem["detail"]
    assert all_orders(catalog) == []


def test_a_shopify_order_with_an_unknown_sku_is_refused(seeded: TestClient,
                                                        shopify: dict[str, Any]) -> None:
    problem = assert_problem(seeded.post("/v1/channels/shopify/orders", json=shopify,
                                         headers=CHANNEL), 422)
    assert "CAMERA-Z" in problem["detail"]
    assert all_orders(seeded) == []


def test_amazon_and_shopify_orders_share_the_one_order_list(
        catalog: TestClient, amazon: dict[str, Any], shopify: dict[str, Any]) -> None:
    catalog.post("/v1/channels/amazon/orders", json=amazon, headers=CHANNEL)
    catalog.post("/v1/channels/shopify/orders", json=shopify, headers=CHANNEL)
    listed = all_orders(catalog)
    assert [(o["channel"], o["source"]) for o in listed] == [("web", "shopify"),
                                                              ("marketplace", "amazon")]
    assert [o["order_id"] for o in all_orders(catalog, channel="marketplace")] == \
        [listed[1]["order_id"]]
