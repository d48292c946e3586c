"""Log records reach stdout one whole line per write(), so processes sharing it never interleave
two records on one line (the e2e server runs two workers on one log file)."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
import structlog

from dom.logs import configure_logging


class Unbuffered(io.StringIO):
    """stdout under PYTHONUNBUFFERED: every write() reaches the file at once."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@pytest.fixture
def stdout(monkeypatch: pytest.MonkeyPatch) -> Iterator[Unbuffered]:
    """A stdout to read; set in the test itself (pytest's capture puts its own back at the
    start of the test call)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield Unbuffered()
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def test_each_record_is_one_write_of_one_json_line(
        stdout: Unbuffered, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", stdout)
    configure_logging("info")
    structlog.get_logger().info("request", route="/v1/orders", status=201)
    # a library's logger (a name no other test configures: uvicorn's may be set by them)
    logging.getLogger("a_library.module").warning("Started server process")
    logging.getLogger("sqlalchemy").debug("below the level: not written")
    assert len(stdout.writes) == 2
    records = [json.loads(text) for text in stdout.writes]
    assert all(text.endswith("\n") and text.count("\n") == 1 for text in stdout.writes)
    assert [(r["event"], r["level"]) for r in records] == [("request", "info"),
                                                           ("Started server process", "warning")]
    assert records[0]["status"] == 201 and records[1]["logger"] == "a_library.module"
