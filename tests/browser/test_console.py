"""The console as a person uses it: key, orders board, a live order, escalations, stock, planner.

One ``dom serve`` over demo data and one headless Chromium serve the module; each test gets a
fresh browser context (so it is asked for a key again). Waits are bounded (``WAIT_MS``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.browser.conftest import (
    ADMIN,
    OPS,
    WAIT_MS,
    route_missing,
    screenshot,
    sign_in,
)

NO_STREAM = route_missing(r"/v1/orders/\{[^}]+\}/stream")
NO_SCENARIOS = route_missing(r"/v1/scenarios")


def _shipping_order(http: httpx.Client) -> tuple[str, str]:
    """A demo order with a released ship fulfillment: (order id, fulfillment id)."""
    listed = http.get("/v1/orders", params={"limit": 100}, headers=OPS)
    assert listed.status_code == 200, listed.text
    for order in listed.json()["items"]:
        for fulfillment in order["fulfillments"]:
            if fulfillment["type"] == "ship" and fulfillment["status"] == "released":
                return order["order_id"], fulfillment["fulfillment_id"]
    raise AssertionError("the demo data has no released ship fulfillment")


def test_the_console_is_served_without_a_key_and_asks_for_one(page: Any, http: httpx.Client
                                                               ) -> None:
    served = http.get("/console")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in served.headers["content-security-policy"]
    script = http.get("/console/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert http.get("/console/nothing.js").status_code == 404

    page.goto("/console")
    page.get_by_role("heading", name="Enter your API key").wait_for()
    assert page.get_by_label("API key", exact=True).is_visible()
    screenshot(page, "01-key")


def test_with_the_ops_key_it_lists_orders_filters_and_pages(page: Any) -> None:
    sign_in(page, "ops-key")
    links = page.locator("a.order-link")
    links.first.wait_for()
    assert links.count() >= 7  # the demo's orders from every channel
    assert page.locator("td", has_text="call center").first.is_visible()
    screenshot(page, "02-orders")

    page.get_by_label("Channel").select_option("store")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function("() => location.hash.includes('channel=store')")
    page.wait_for_function(
        "() => document.querySelectorAll('a.order-link').length === 2", timeout=WAIT_MS)

    page.goto("/console#/orders?limit=3")
    page.wait_for_function(
        "() => document.querySelectorAll('a.order-link').length === 3", timeout=WAIT_MS)
    first_page = page.locator("a.order-link").all_inner_texts()
    page.get_by_role("button", name="Older →").click()
    page.get_by_text("Page 2", exact=True).wait_for()
    second_page = page.locator("a.order-link").all_inner_texts()
    assert second_page and not set(first_page) & set(second_page)
    page.get_by_role("button", name="← Newer").click()
    page.get_by_text("Page 1", exact=True).wait_for()
    assert page.locator("a.order-link").all_inner_texts() == first_page


def test_an_order_shows_its_timeline_and_a_new_event_appears_without_reload(
        page: Any, http: httpx.Client) -> None:
    order_id, fulfillment_id = _shipping_order(http)
    sign_in(page, "ops-key", f"#/orders/{order_id}")
    page.locator("#timeline li").first.wait_for()
    page.get_by_role("cell", name=fulfillment_id).wait_for()
    page.wait_for_function(
        "() => ['stream', 'polling'].includes(document.getElementById('live-state')"
        ".dataset.mode)", timeout=WAIT_MS)
    before = page.locator("#timeline li").count()
    page.evaluate("() => { window.__notReloaded = true; }")

    posted = http.post(f"/v1/fulfillments/{fulfillment_id}/events", json={"type": "picked"},
                       headers=ADMIN)
    assert posted.status_code == 200, posted.text

    page.locator('#timeline li[data-type="fulfillment.picked"]').wait_for(timeout=WAIT_MS)
    assert page.locator("#timeline li").count() > before
    assert page.evaluate("() => window.__notReloaded === true")  # it came live, no reload
    page.wait_for_function(  # the fulfillment's row follows too
        "() => [...document.querySelectorAll('.badge')].some(b => b.textContent === 'picked')",
        timeout=WAIT_MS)
    screenshot(page, "03-order-live")


@pytest.mark.skipif(NO_STREAM, reason="GET /v1/orders/{id}/stream is not in the app yet; the "
                                      "console polls meanwhile")
def test_the_timeline_streams_when_the_server_offers_it(page: Any, http: httpx.Client) -> None:
    order_id, _ = _shipping_order(http)
    sign_in(page, "ops-key", f"#/orders/{order_id}")
    page.wait_for_function(
        "() => document.getElementById('live-state').dataset.mode === 'stream'",
        timeout=WAIT_MS)


def test_an_unknown_order_shows_the_apis_problem_detail(page: Any) -> None:
    sign_in(page, "ops-key", "#/orders/NO-SUCH-ORDER")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "NO-SUCH-ORDER" in alert.inner_text()


def test_a_wrong_key_is_refused_and_asked_again(page: Any) -> None:
    page.goto("/console#/orders")
    page.get_by_label("API key", exact=True).fill("not-a-key")
    page.get_by_role("button", name="Save key").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "did not accept" in alert.inner_text()
    assert page.get_by_label("API key", exact=True).is_visible()
    assert page.evaluate("() => localStorage.length") == 0


def test_the_escalation_queue_renders_and_an_escalation_is_resolved(
        page: Any, http: httpx.Client) -> None:
    # Every unshipped fulfillment misses its ship-by a year from now: escalations open.
    checked = http.post("/v1/sla/check", json={"now": "2099-01-01T00:00:00Z"}, headers=OPS)
    assert checked.status_code == 200, checked.text
    assert checked.json()["delays_raised"] >= 1

    sign_in(page, "ops-key", "#/escalations")
    rows = page.locator('#escalations tbody tr[data-status="open"]')
    rows.first.wait_for()
    open_before = rows.count()
    screenshot(page, "04-escalations")
    first = rows.first
    escalation_id = first.get_attribute("data-id")
    first.get_by_role("textbox").fill("Carrier rebooked")
    first.get_by_role("button", name="Resolve").click()
    page.locator(f'#escalations tr[data-id="{escalation_id}"][data-status="resolved"]').wait_for()
    assert page.get_by_text("Carrier rebooked").is_visible()

    page.get_by_label("Resolved").check()
    page.wait_for_function("() => location.hash.includes('status=resolved')")
    page.locator(f'#escalations tr[data-id="{escalation_id}"]').wait_for()
    listed = http.get("/v1/escalations", params={"status": "open"}, headers=OPS).json()["items"]
    assert len(listed) == open_before - 1


def test_stock_by_location_shows_positions_and_a_map(page: Any) -> None:
    sign_in(page, "ops-key", "#/stock?sku=LAPTOP-15")
    page.get_by_role("cell", name="WH-NJ", exact=False).first.wait_for()
    circles = page.locator("svg.map g.location")
    assert circles.count() >= 5
    sized = page.locator('svg.map g.location[data-id="WH-NJ"]').get_attribute("data-value")
    assert sized is not None and int(sized) > 0
    screenshot(page, "05-stock")


def _run_two_scenarios_and_compare(page: Any) -> None:
    """Run "As is" and "Without WH-NJ" from the planner form, then compare them."""
    form = page.locator("#scenario-form")
    form.get_by_label("Name").fill("As is")
    form.get_by_role("button", name="Run scenario").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#frontier-chart circle.point').length === 1",
        timeout=30_000)
    form.get_by_label("Name").fill("Without WH-NJ")
    form.get_by_label("WH-NJ").check()
    form.get_by_label("Objective").select_option("time")
    form.get_by_role("button", name="Run scenario").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#frontier-chart circle.point').length === 2",
        timeout=30_000)
    points = page.locator("#frontier-chart circle.point")
    for i in range(points.count()):
        assert float(points.nth(i).get_attribute("data-y") or "nan") >= 0  # a real cost
        assert float(points.nth(i).get_attribute("data-x") or "nan") >= 0  # and days
    assert page.locator("#utilization-chart rect.bar").count() >= 1
    assert page.locator("#planner-map g.location.closed").count() == 1
    page.get_by_role("button", name="Compare").click()
    page.locator("#compare-result table").wait_for()
    assert "Total cost" in page.locator("#compare-result").inner_text()
    assert page.locator("#compare-utilization rect.bar.series-1").count() >= 1


@pytest.mark.skipif(NO_SCENARIOS, reason="the scenarios API (POST /v1/scenarios) is not in the "
                                         "app yet")
def test_a_planner_run_draws_its_point_and_two_runs_compare(page: Any) -> None:
    sign_in(page, "planner-key", "#/planner")
    _run_two_scenarios_and_compare(page)
    screenshot(page, "06-planner")


class ContractScenarios:
    """Answers /v1/scenarios in the browser the way the contract says (docs/api.md)."""

    def __init__(self) -> None:
        self.runs: dict[str, dict[str, Any]] = {}
        self.polled = 0

    def handle(self, route: Any) -> None:
        request = route.request
        path = request.url.split("?")[0]
        if request.method == "POST":
            route.fulfill(status=202, json=self._run(request.post_data_json),
                          headers={"Location": f"/v1/scenarios/sc-{len(self.runs)}"})
        elif path.endswith("/compare"):
            a, b = request.url.split("ids=")[1].split("%2C" if "%2C" in request.url else ",")
            left, right = self.runs[a]["kpis"], self.runs[b]["kpis"]
            route.fulfill(json={"scenarios": [self.runs[a], self.runs[b]], "differences": {
                k: right[k] - left[k] for k in left if k != "utilization"}})
        else:
            self.polled += 1
            route.fulfill(json=self.runs[path.rsplit("/", 1)[1]])

    def _run(self, body: dict[str, Any]) -> dict[str, Any]:
        changes = body["changes"]
        closed = set(changes["close_locations"])
        fast = changes["objective"] == "time"
        sites = [s for s in ("WH-NJ", "WH-TX", "WH-CA", "ST-NYC") if s not in closed]
        scenario_id = f"sc-{len(self.runs) + 1}"
        self.runs[scenario_id] = {
            "scenario_id": scenario_id, "status": "done", "solver": {"status": "optimal"},
            "kpis": {"total_cost": 820.0 * (1.3 if fast else 1.0) + 90 * len(closed),
                     "mean_delivery_days": 2.1 if fast else 3.4, "p95_delivery_days": 5.0,
                     "fill_rate": 0.97, "split_rate": 0.12, "shipments": 9,
                     "utilization": {site: 0.2 + 0.15 * i for i, site in enumerate(sites)}}}
        return {"scenario_id": scenario_id, "status": "running"}


def test_the_planner_draws_and_compares_runs_from_answers_in_the_contracts_shape(
        page: Any) -> None:
    scenarios = ContractScenarios()
    page.route(re.compile(r".*/openapi\.json$"), lambda route: route.fulfill(
        json={"openapi": "3.1.0", "paths": {"/v1/scenarios": {}}}))
    page.route(re.compile(r".*/v1/scenarios.*"), scenarios.handle)
    sign_in(page, "planner-key", "#/planner")
    _run_two_scenarios_and_compare(page)
    assert scenarios.polled >= 2  # 202 + Location was followed until done
    screenshot(page, "07-planner-contract")


def test_the_timeline_reads_server_sent_events_through_fetch_and_resumes(
        page: Any, http: httpx.Client) -> None:
    order_id, fulfillment_id = _shipping_order(http)
    event = {"id": "evt_stub", "order_id": order_id, "seq": 900, "type": "fulfillment.delayed",
             "at": "2026-11-27T10:00:00Z", "fulfillment_id": fulfillment_id,
             "message": "Delayed at the test carrier (streamed)"}
    text = json.dumps(event, indent=1).split("\n")  # a multi-line data field
    body = ": ping\r\n\r\nid: 900\r\n" + "".join(f"data: {line}\r\n" for line in text) + "\r\n"
    seen: list[dict[str, str]] = []

    def stream(route: Any) -> None:
        seen.append(route.request.headers)
        route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=body)

    page.route(re.compile(r".*/v1/orders/[^/]+/stream$"), stream)
    sign_in(page, "ops-key", f"#/orders/{order_id}")
    streamed = page.locator('#timeline li[data-seq="900"]')
    streamed.wait_for()
    assert "Delayed at the test carrier (streamed)" in streamed.inner_text()
    assert seen[0]["authorization"] == "Bearer ops-key"
    assert seen[0]["accept"] == "text/event-stream"
    page.wait_for_function("() => document.querySelectorAll('#timeline li[data-seq=\"900\"]')"
                           ".length === 1", timeout=WAIT_MS)
    for _ in range(20):  # the stream ended: within 5 s it reconnects from the last seq seen
        if len(seen) >= 2:
            break
        page.wait_for_timeout(250)
    assert len(seen) >= 2 and seen[1].get("last-event-id") == "900"
    assert page.locator('#timeline li[data-seq="900"]').count() == 1


@pytest.mark.skipif(not NO_SCENARIOS, reason="the scenarios API is there: the planner test runs")
def test_the_planner_says_clearly_when_scenarios_are_not_available(page: Any) -> None:
    sign_in(page, "planner-key", "#/planner")
    page.locator("#scenarios-missing").wait_for()
    assert "not available" in page.locator("#scenarios-missing").inner_text()
    assert page.get_by_role("button", name="Run scenario").is_disabled()
    assert page.locator("#planner-map g.location").count() >= 5  # the map still draws
    screenshot(page, "06-planner-unavailable")
