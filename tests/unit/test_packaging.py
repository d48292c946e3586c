"""Every package of ours is listed in pyproject.toml (setuptools is told, never left to guess),
and tests and benchmarks stay out of the installed distribution."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = ("api", "broker", "connectors", "dom", "geo", "lifecycle", "models", "optimizer",
             "planner", "storage")


def test_every_package_is_listed_and_nothing_else() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for top in TOP_LEVEL for init in (ROOT / top).rglob("__init__.py")}
    assert listed == found
    assert not {"tests", "benchmarks"} & {name.split(".")[0] for name in listed}
