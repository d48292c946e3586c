"""Every error leaves as ``application/problem+json`` (RFC 9457) in one shape.

Domain errors map to statuses here and nowhere else; validation errors list each field's
location and message so a person can fix the request.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from models import (
    Conflict,
    DomainError,
    Forbidden,
    InsufficientStock,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
)

log = logging.getLogger("dom.api")

PROBLEM = "application/problem+json"

STATUS_BY_ERROR: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (Forbidden, 403),
    (InsufficientStock, 409),
    (TransitionNotAllowed, 409),
    (Conflict, 409),
    (InvalidInput, 422),
    (DomainError, 400),
]

TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 413: "Request body too large",
          415: "Unsupported media type", 422: "Unprocessable content", 500: "Internal error"}


def problem(status: int, detail: str, *, title: str | None = None,
            type_: str = "about:blank", headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    body = {"type": type_, "title": title or TITLES.get(status, "Error"), "status": status,
            "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def status_for(error: DomainError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 400


def domain_problem(error: DomainError) -> JSONResponse:
    status = status_for(error)
    extra: dict[str, Any] = {}
    if error.loc:
        extra["errors"] = [{"loc": list(error.loc), "msg": error.detail}]
    if isinstance(error, InsufficientStock):
        extra.update(location_id=error.location_id, sku=error.sku, requested=error.requested,
                     available=error.available)
    return problem(status, error.detail, title=error.title, **extra)


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                           and media.endswith("+json"))


async def _wrong_media_type(request: Request, exc: RequestValidationError) -> bool:
    """The body failed validation because it was not sent as JSON: a Content-Type that is not
    JSON, or none with a body (FastAPI then does not parse it and the error reads as if the
    body were the wrong shape)."""
    if not any(tuple(e.get("loc", ()))[:1] == ("body",) for e in exc.errors()):
        return False
    content_type = request.headers.get("content-type")
    if content_type is None:
        return bool(await request.body())
    return not is_json(content_type)


async def _validation_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if await _wrong_media_type(request, exc):
        sent = request.headers.get("content-type") or "no Content-Type"
        return problem(415, f"the request body must be JSON sent with Content-Type: "
                            f"application/json (got {sent})")
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid")}
              for e in exc.errors()]
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return problem(400, "the request body is not valid JSON: " + errors[0]["msg"],
                       title="Malformed JSON", errors=errors)
    summary = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
    return problem(422, f"the request is invalid: {summary}", title="Validation failed",
                   errors=errors)


def _http_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return problem(exc.status_code, detail, headers=headers)


def _domain_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return domain_problem(exc)


def _unexpected_problem(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "an unexpected error occurred; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(StarletteHTTPException, _http_problem)
    app.add_exception_handler(DomainError, _domain_problem)
    app.add_exception_handler(Exception, _unexpected_problem)
