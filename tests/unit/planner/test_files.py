"""Scenario data from CSV and Parquet files (pandas), one row per order line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from models import InvalidInput
from planner import evaluate, prepare


def write(tmp_path: Path) -> None:
    pd.DataFrame([
        {"id": "NJ", "type": "warehouse", "lat": 40.73, "lon": -74.17, "shipment_cost": 9.0},
        {"id": "ST-1", "type": "store", "postal_code": "10001", "capabilities": "ship|pickup",
         "shipment_cost": 2.0},
    ]).to_csv(tmp_path / "locations.csv", index=False)
    pd.DataFrame([
        {"location_id": "NJ", "sku": "PHONE", "on_hand": 10, "safety_stock": 2},
        {"location_id": "ST-1", "sku": "PHONE", "on_hand": 1, "safety_stock": 0},
    ]).to_parquet(tmp_path / "inventory.parquet")
    pd.DataFrame([
        {"order_id": "A", "line_id": "1", "sku": "PHONE", "qty": 2, "lat": 40.7, "lon": -74.0},
        {"order_id": "A", "line_id": "2", "sku": "PHONE", "qty": 1, "lat": 40.7, "lon": -74.0},
        {"order_id": "B", "sku": "PHONE", "qty": 1, "method": "pickup",
         "pickup_location_id": "ST-1"},
        {"order_id": "C", "sku": "PHONE", "qty": 9, "postal_code": "07102"},
    ]).to_csv(tmp_path / "orders.csv", index=False)


def test_csv_and_parquet_files_replace_the_base(tmp_path: Path) -> None:
    write(tmp_path)
    prepared = prepare({"name": "files", "base": "empty", "files": {
        "orders": "orders.csv", "inventory": "inventory.parquet",
        "locations": "locations.csv"}}, None, base_dir=tmp_path)
    inp = prepared.input
    assert [o.order_id for o in inp.orders] == ["A", "B", "C"]
    assert [len(o.lines) for o in inp.orders] == [2, 1, 1]
    assert inp.orders[1].method == "pickup"
    assert inp.stock == {("NJ", "PHONE"): 8, ("ST-1", "PHONE"): 1}  # on hand - safety stock
    store = next(loc for loc in inp.locations if loc.id == "ST-1")
    assert store.capabilities == frozenset({"ship", "pickup"}) and round(store.lat) == 41
    kpis = evaluate(inp)["kpis"]
    assert (kpis["units_ordered"], kpis["units_filled"]) == (13, 9)


def test_a_missing_or_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"nope\.csv"):
        prepare({"name": "x", "base": "empty", "files": {"orders": "nope.csv"}}, None,
                base_dir=tmp_path)
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(InvalidInput, match="Parquet"):
        prepare({"name": "x", "base": "empty", "files": {"inventory": "bad.parquet"}}, None,
                base_dir=tmp_path)


@pytest.mark.parametrize("priority", ["high", 1.5])
def test_a_priority_that_is_not_a_whole_number_is_named(tmp_path: Path, priority: object
                                                        ) -> None:
    write(tmp_path)
    frame = pd.read_csv(tmp_path / "orders.csv")
    frame["priority"] = [priority, priority, 0, 0]
    frame.to_csv(tmp_path / "orders.csv", index=False)
    with pytest.raises(InvalidInput, match=r"orders\.0\.priority"):
        prepare({"name": "x", "base": "empty", "files": {
            "orders": "orders.csv", "inventory": "inventory.parquet",
            "locations": "locations.csv"}}, None, base_dir=tmp_path)


def test_a_deliver_by_column_is_each_order_s_deadline(tmp_path: Path) -> None:
    """Orders C (9 units) due today cannot be shipped by anyone; A's deadline is far enough."""
    write(tmp_path)
    frame = pd.read_csv(tmp_path / "orders.csv", dtype={"postal_code": str})
    today = datetime.now(UTC).date()
    frame["deliver_by"] = [(today + timedelta(days=7)).isoformat()] * 2 + [None, today.isoformat()]
    frame.to_csv(tmp_path / "orders.csv", index=False)
    prepared = prepare({"name": "x", "base": "empty", "files": {
        "orders": "orders.csv", "inventory": "inventory.parquet",
        "locations": "locations.csv"}}, None, base_dir=tmp_path)
    deadlines = {o.order_id: o.deadline_days for o in prepared.input.orders}
    assert deadlines == {"A": 7, "B": None, "C": 0}
    assert evaluate(prepared.input)["kpis"]["units_filled"] == 4  # A's 3 and B's 1, not C's 9


def test_a_parquet_date_column_counts_by_its_day_and_a_time_of_day_is_refused(
        tmp_path: Path) -> None:
    write(tmp_path)
    frame = pd.read_csv(tmp_path / "orders.csv", dtype={"postal_code": str})
    midnight = pd.Timestamp(datetime.now(UTC).date() + timedelta(days=3))
    frame["deliver_by"] = [midnight] * 4
    frame.to_parquet(tmp_path / "orders.parquet")
    files = {"orders": "orders.parquet", "inventory": "inventory.parquet",
             "locations": "locations.csv"}
    prepared = prepare({"name": "x", "base": "empty", "files": files}, None, base_dir=tmp_path)
    assert {o.deadline_days for o in prepared.input.orders} == {3}
    # line_id came back from the CSV as numbers (1.0, 2.0, NaN): Parquet keeps them so, and
    # they name the same lines a CSV's text does
    assert [line.line_id for line in prepared.input.orders[0].lines] == ["1", "2"]
    frame["deliver_by"] = [midnight + pd.Timedelta(hours=15)] * 4
    frame.to_parquet(tmp_path / "orders.parquet")
    with pytest.raises(InvalidInput, match="deliver_by must be a date"):
        prepare({"name": "x", "base": "empty", "files": files}, None, base_dir=tmp_path)
