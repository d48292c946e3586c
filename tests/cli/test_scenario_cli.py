"""``dom scenario run | compare | sweep`` on small YAML and CSV files: KPIs printed as tables,
reports (HTML with plotly.js embedded, PNGs from matplotlib) that hold the numbers."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import create_app
from dom.bootstrap import Container
from dom.cli import app
from planner import evaluate, prepare
from planner.report import fmt
from tests.api.conftest import ADMIN, CHANNEL, PLANNER, order_body, seed
from tests.api.test_scenarios import laptop
from tests.conftest import TEST_KEYS, make_container
from tests.unit.planner.network import INVENTORY, LOCATIONS, orders

PNG = b"\x89PNG\r\n\x1a\n"
runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CSV files of the small network and scenario files that name them."""
    monkeypatch.setenv("DOM_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("DOM_API_KEYS", TEST_KEYS)
    monkeypatch.delenv("DOM_DASK_SCHEDULER", raising=False)
    pd.DataFrame(LOCATIONS).to_csv(tmp_path / "locations.csv", index=False)
    pd.DataFrame(INVENTORY).to_csv(tmp_path / "inventory.csv", index=False)
    pd.DataFrame([{"order_id": o["order_id"], "sku": "LAPTOP", "qty": 1, "lat": 40.71,
                   "lon": -74.0} for o in orders()]).to_csv(tmp_path / "orders.csv", index=False)
    base = {"base": "empty", "files": {"orders": "orders.csv", "inventory": "inventory.csv",
                                       "locations": "locations.csv"}}
    scenarios: dict[str, dict[str, Any]] = {
        "cost": {"changes": {"objective": "cost"}},
        "fast": {"changes": {"objective": "time", "demand_multiplier": 2}},
        "sweep": {"sweep": {"field": "cost_per_day", "values": [0, 2, 10, 20]}},
    }
    for name, extra in scenarios.items():
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump({"name": name, **base, **extra}))
    return tmp_path


def live_database(files: Path, monkeypatch: pytest.MonkeyPatch) -> Container:
    """A migrated SQLite database in ``files`` that the CLI is pointed at."""
    from storage import upgrade

    url = f"sqlite:///{files}/live.db"
    monkeypatch.setenv("DOM_DATABASE_URL", url)
    container = make_container(url)
    upgrade(container.engine)
    return container


def expected(path: Path) -> dict[str, Any]:
    raw = yaml.safe_load(path.read_text())
    kpis: dict[str, Any] = evaluate(prepare(raw, None, base_dir=path.parent).input)["kpis"]
    return kpis


def check_report(folder: Path, numbers: list[Any], pngs: list[str]) -> str:
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script src=" not in page and "Plotly.newPlot" in page  # plotly.js is embedded
    assert re.search(r"plotly\.js v\d", page)
    for value in numbers:
        assert f"<td>{fmt(value)}</td>" in page, value
    for name in pngs:
        data = (folder / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 2000
    return page


def test_run_prints_the_kpis_and_writes_a_report_that_holds_them(files: Path) -> None:
    result = runner.invoke(app, ["scenario", "run", str(files / "cost.yaml"), "--report",
                                 str(files / "out")])
    assert result.exit_code == 0, result.output
    kpis = expected(files / "cost.yaml")
    assert "Total cost" in result.output and fmt(kpis["total_cost"]) in result.output
    assert not (files / "cli.db").exists()  # an empty base with files needs no database
    check_report(files / "out", [kpis[k] for k in ("total_cost", "mean_delivery_days",
                                                    "fill_rate", "shipments", "orders")],
                 ["utilization.png"])


def test_compare_two_files_prints_and_reports_the_differences(files: Path) -> None:
    result = runner.invoke(app, ["scenario", "compare", str(files / "cost.yaml"),
                                 str(files / "fast.yaml"), "--report", str(files / "cmp")])
    assert result.exit_code == 0, result.output
    a, b = expected(files / "cost.yaml"), expected(files / "fast.yaml")
    cost_diff = round(b["total_cost"] - a["total_cost"], 6)
    assert "B - A" in result.output and fmt(cost_diff) in result.output
    page = check_report(files / "cmp", [a["total_cost"], b["total_cost"], cost_diff],
                        ["utilization.png"])
    assert "Differences (B - A)" in page


def test_sweep_shows_a_progress_bar_and_the_frontier_and_reports_it(files: Path) -> None:
    result = runner.invoke(app, ["scenario", "sweep", str(files / "sweep.yaml"), "--report",
                                 str(files / "sweep")])
    assert result.exit_code == 0, result.output
    assert "sweep on local processes" in result.output and "Frontier" in result.output
    page = check_report(files / "sweep", [], ["utilization.png", "frontier.png"])
    assert page.count("[cost_per_day=") >= 4
    assert "<h2>Frontier</h2>" in page


def test_a_sweep_whose_dask_scheduler_cannot_be_reached_runs_locally_and_says_so(
        files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOM_DASK_SCHEDULER", "tcp://127.0.0.1:1")  # nothing listens there
    result = runner.invoke(app, ["scenario", "sweep", str(files / "sweep.yaml")])
    assert result.exit_code == 0, result.output
    assert "cannot be reached" in result.output
    assert "sweep on local processes" in result.output and "Frontier" in result.output


def test_a_sweep_value_out_of_range_exits_2_with_a_message(files: Path) -> None:
    raw = yaml.safe_load((files / "sweep.yaml").read_text())
    raw["sweep"]["values"] = [1, -5]
    (files / "bad_sweep.yaml").write_text(yaml.safe_dump(raw))
    result = runner.invoke(app, ["scenario", "sweep", str(files / "bad_sweep.yaml")])
    assert result.exit_code == 2, result.output
    assert "sweep.values[1] = -5" in result.output and "Traceback" not in result.output


def test_run_on_the_live_database_stores_it_and_compare_takes_its_id(
        files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    container = live_database(files, monkeypatch)
    with TestClient(create_app(container)) as client:
        seed(client)
        for n in range(2):
            assert client.post("/v1/orders", json=laptop(f"W-{n}"),
                               headers=CHANNEL).status_code == 201
    container.close()
    (files / "live.yaml").write_text(yaml.safe_dump({"name": "live as is"}))
    (files / "closed.yaml").write_text(yaml.safe_dump({
        "name": "without WH-A", "changes": {"close_locations": ["WH-A"]}}))
    result = runner.invoke(app, ["scenario", "run", str(files / "live.yaml")])
    assert result.exit_code == 0, result.output
    stored = re.search(r"stored as scenario (scn_\w+)", result.output)
    assert stored is not None
    compared = runner.invoke(app, ["scenario", "compare", stored.group(1),
                                   str(files / "closed.yaml")])
    assert compared.exit_code == 0, compared.output
    assert "live as is (A) against without WH-A (B)" in " ".join(compared.output.split())


def test_a_bad_file_exits_2_with_the_reason(files: Path) -> None:
    (files / "bad.yaml").write_text(yaml.safe_dump({"name": "bad", "base": "empty",
                                                    "changes": {"objective": "fastest"}}))
    result = runner.invoke(app, ["scenario", "run", str(files / "bad.yaml")])
    assert result.exit_code == 2 and "objective" in result.output
    missing = runner.invoke(app, ["scenario", "run", str(files / "nope.yaml")])
    assert missing.exit_code == 2 and "does not exist" in " ".join(missing.output.split())


@pytest.mark.parametrize("command", ["run", "sweep", "compare"])
@pytest.mark.parametrize("where", ["afile", "afile/report"])
def test_a_report_folder_that_cannot_be_one_exits_2_before_any_work(
        files: Path, command: str, where: str) -> None:
    (files / "afile").write_text("not a folder")
    arguments = {"run": [str(files / "cost.yaml")], "sweep": [str(files / "sweep.yaml")],
                 "compare": [str(files / "cost.yaml"), str(files / "fast.yaml")]}[command]
    result = runner.invoke(app, ["scenario", command, *arguments, "--report",
                                 str(files / where)])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "is a file, not a folder" in said and "Traceback" not in said
    assert "Total cost" not in said and "Frontier" not in said  # nothing was solved


def test_a_run_that_reads_live_data_without_the_database_exits_2_and_creates_none(
        files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOM_DATABASE_URL", f"sqlite:///{files}/absent.db")
    (files / "live.yaml").write_text(yaml.safe_dump({"name": "live as is"}))
    result = runner.invoke(app, ["scenario", "run", str(files / "live.yaml")])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "no database file" in said and "dom migrate" in said
    assert not (files / "absent.db").exists()


def test_a_dask_scheduler_that_is_not_an_address_exits_2_with_the_reason(
        files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOM_DASK_SCHEDULER", "notaurl")
    result = runner.invoke(app, ["scenario", "sweep", str(files / "sweep.yaml")])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "DOM_DASK_SCHEDULER 'notaurl' is not a scheduler address" in said
    assert "Traceback" not in said


def test_an_empty_base_on_the_command_line_takes_the_live_policy_as_over_http(
        files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    container = live_database(files, monkeypatch)
    # a service sold on its own: the live catalog says it is one, so it is never sourced
    lines = [{"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0},
             {"line_id": "2", "sku": "WARRANTY-3Y", "qty": 1, "unit_price": 99.0}]
    definition = {"name": "nearby only", "base": "empty", "locations": LOCATIONS,
                  "inventory": [{**row, "sku": "LAPTOP-15"} for row in INVENTORY],
                  "orders": [order_body(f"S-{n}", lines=lines) for n in range(2)]}
    with TestClient(create_app(container)) as client:
        seed(client)
        # only NJ (~15 km from the orders) is within reach under the live policy
        assert client.put("/v1/policy", json={"max_distance_km": 50},
                          headers=ADMIN).status_code == 200
        over_http = client.post("/v1/scenarios", json=definition, headers=PLANNER)
        assert over_http.status_code == 201, over_http.text
    container.close()
    kpis = over_http.json()["kpis"]
    assert kpis["units_by_location"] == {"NJ": 2}  # the live policy held
    (files / "nearby.yaml").write_text(yaml.safe_dump(definition))
    result = runner.invoke(app, ["scenario", "run", str(files / "nearby.yaml")])
    assert result.exit_code == 0, result.output
    assert fmt(kpis["total_cost"]) in result.output
    assert "stored as scenario" not in result.output  # reading the policy stores nothing


@pytest.mark.parametrize("base", ["current", "empty"])
def test_a_file_that_is_not_a_dom_database_is_neither_migrated_nor_used(
        files: Path, monkeypatch: pytest.MonkeyPatch, base: str) -> None:
    (files / "zero.db").write_bytes(b"")  # an empty SQLite file: no dom schema in it
    monkeypatch.setenv("DOM_DATABASE_URL", f"sqlite:///{files}/zero.db")
    definition = {"name": "not dom's", "base": base}
    if base == "empty":
        definition.update(yaml.safe_load((files / "cost.yaml").read_text()))
        definition["name"] = "not dom's"
    (files / "zero.yaml").write_text(yaml.safe_dump(definition))
    result = runner.invoke(app, ["scenario", "run", str(files / "zero.yaml")])
    said = " ".join(result.output.split())
    assert "does not hold dom's current schema" in said, said
    if base == "current":  # it needs the live data: refused
        assert result.exit_code == 2 and "dom migrate" in said
    else:  # it runs on its own files with the default policy
        assert result.exit_code == 0 and "Total cost" in said
    with sqlite3.connect(files / "zero.db") as connection:  # no schema was written into it
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_a_report_folder_name_too_long_exits_2_before_any_work(files: Path) -> None:
    result = runner.invoke(app, ["scenario", "run", str(files / "cost.yaml"), "--report",
                                 str(files / ("a" * 300))])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "cannot be used" in said and "Traceback" not in said and "Total cost" not in said


def test_run_on_a_sweep_file_exits_2_pointing_at_the_sweep_command(files: Path) -> None:
    """It ran the file once and dropped the sweep without a word (HTTP refused it with 422)."""
    result = runner.invoke(app, ["scenario", "run", "--no-store", str(files / "sweep.yaml")])
    assert result.exit_code == 2, result.output
    assert "dom scenario sweep" in result.output and "Traceback" not in result.output
