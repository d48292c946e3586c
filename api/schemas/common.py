"""Shapes shared by every resource: pages and problems."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, Field

from models.strict_input import StrictInput

T = TypeVar("T")


def _not_blank(name: str) -> str:
    if not name.strip():
        raise ValueError("name must not be blank")
    return name


# A name people read in lists and on the timeline: never only whitespace.
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_not_blank)]


def _in_utc_range(moment: datetime) -> datetime:
    """Refuses a time that has no UTC equivalent (0001-01-01T00:00+01:00 is a day before the
    first one Python can hold), which would otherwise fail deep inside the handler."""
    if moment.tzinfo is not None:  # a time without a zone is taken as UTC as it is
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise ValueError("time is out of range once converted to UTC") from None
    return moment


# A time another system sends (when an order was placed, when a parcel shipped).
ClientTime = Annotated[datetime, AfterValidator(_in_utc_range)]


class Strict(StrictInput):
    """Request bodies refuse unknown fields, so a typo is an error and not silently dropped,
    and true/false where a number goes (:mod:`models.strict_input`)."""


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class ProblemDetail(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, object]] | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": ProblemDetail, "content": {"application/problem+json": {}}}
    for code in (400, 401, 403, 404, 409, 413, 415, 422)
}
