"""One JSON object per line for every log record, dom's own (structlog) and the libraries'
(uvicorn, SQLAlchemy) alike, so a log shipper parses a single format.

Called by ``dom serve`` and again by each worker process uvicorn starts (a spawned worker
inherits no logging configuration from its parent).
"""

from __future__ import annotations

import logging
import sys

import structlog
from structlog.typing import Processor


def configure_logging(level: str) -> None:
    """dom's loggers and the standard library's root logger, both as JSON lines on stdout."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,  # the request (and order) id the API bound
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    numeric = logging.getLevelName(level.upper())
    # WriteLogger writes a record and its newline in one write(); print() (structlog's
    # default) writes them apart, so with PYTHONUNBUFFERED (common in containers) two worker
    # processes sharing stdout interleave their records on one line.
    structlog.configure(processors=[*shared, structlog.processors.JSONRenderer()],
                        wrapper_class=structlog.make_filtering_bound_logger(numeric),
                        logger_factory=structlog.WriteLoggerFactory(sys.stdout))
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.JSONRenderer()]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
