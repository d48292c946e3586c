"""Dependencies shared by the routers: the container, pagination."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from dom.bootstrap import Container
from models import InvalidInput
from storage.retry import with_retries

T = TypeVar("T")

MAX_PAGE = 500


def get_container(request: Request) -> Container:
    container = request.app.state.container
    assert isinstance(container, Container)
    return container


ContainerDep = Annotated[Container, Depends(get_container)]

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size (default 50, max 500).")]
Cursor = Annotated[str | None, Query(max_length=200,
                                     description="next_cursor from the previous page.")]


def encode_cursor(value: str | None) -> str | None:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=") if value else None


def decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidInput("cursor is not one this API issued; start again without it",
                           loc=("query", "cursor")) from error


def run(work: Callable[[], T]) -> T:
    """Run one whole transaction, retrying the conflicts concurrency makes normal."""
    return with_retries(work)


async def run_async(work: Callable[[], T]) -> T:
    return await run_in_threadpool(with_retries, work)
