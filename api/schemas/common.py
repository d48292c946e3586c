"""Shapes shared by every resource: pages and problems."""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

T = TypeVar("T")


def _not_blank(name: str) -> str:
    if not name.strip():
        raise ValueError("name must not be blank")
    return name


# A name people read in lists and on the timeline: never only whitespace.
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_not_blank)]


def _is_number(annotation: Any) -> bool:
    """An int or float field (optional or not) that does not also take a bool."""
    union = get_origin(annotation) in (Union, UnionType)
    options = get_args(annotation) if union else (annotation,)
    return bool(set(options) & {int, float}) and bool not in options


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error and not silently dropped,
    and refuse true/false where a number goes (pydantic would read ``"on_hand": true`` as 1)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_as_number(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None \
                and _is_number(cls.model_fields[info.field_name].annotation):
            raise ValueError(f"expected a number, got {str(value).lower()}")
        return value


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
