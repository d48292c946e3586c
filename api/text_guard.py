"""Text with NUL characters is refused at the door, on every database alike.

PostgreSQL cannot store U+0000 in a text column (SQLite can), so without this guard the same
request would be accepted on one backend and fail with a 500 on the other. A DOM has no use for
the character: a path, query or JSON string holding it is answered 422 before any handler runs
and nothing is written.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from api.auth import ASGIApp, Receive, Scope, Send
from api.errors import problem
from api.limits import read_body, replay

Location = list[str | int]


def nul_location(value: Any, where: Location) -> Location | None:
    """Where in a parsed JSON document a string (or key) holds U+0000, if anywhere: the first
    in document order (a key before its value, a value before the next key).

    Walked with a stack of its own: a document nested as deep as the JSON parser allows must
    not exhaust Python's call stack here. An entry with a key checks that key first.
    """
    pending: list[tuple[Any, Location, str | None]] = [(value, where, None)]
    while pending:
        item, at, key = pending.pop()
        if key is not None and "\x00" in key:
            return at
        if isinstance(item, str):
            if "\x00" in item:
                return at
        elif isinstance(item, dict):
            pending.extend((item[k], [*at, k], k) for k in reversed(list(item)))
        elif isinstance(item, list):
            pending.extend((item[i], [*at, i], None) for i in reversed(range(len(item))))
    return None


def body_nul_location(body: bytes) -> Location | None:
    """The body's NUL, as a raw byte or as a JSON escape that decodes to one.

    Only a body holding ``\\u0000`` is parsed; one that is not valid JSON is left to the app's
    own validation (it answers 400 or 422 itself), as is one nested deeper than the parser goes.
    """
    if b"\x00" in body:
        return ["body"]
    if b"\\u0000" not in body:
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse: the app's 400
        return None
    return nul_location(document, ["body"])


def request_line_nul(scope: Scope) -> Location | None:
    """``["path"]`` or ``["query"]`` when that part of the request line holds U+0000."""
    path = scope.get("raw_path") or scope.get("path", "").encode()
    if b"\x00" in unquote_to_bytes(path):
        return ["path"]
    if b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
        return ["query"]
    return None


def cursor_has_nul(scope: Scope) -> bool:
    """A ``cursor`` query parameter that decodes (base64url, as the API issues them) to text
    holding U+0000: the raw query passes the check above, the decoded value would not."""
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name != "cursor" or not value:
            continue
        try:
            decoded = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_",
                                       validate=True)
        except (binascii.Error, ValueError):
            continue  # not base64 at all: the routes answer that one themselves
        if b"\x00" in decoded:
            return True
    return False


class NulCharacterGuard:
    """Answers 422 to a request whose path, query or body carries U+0000."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        in_line = request_line_nul(scope)
        if in_line is not None:
            await _refuse(in_line, scope, receive, send)
            return
        if cursor_has_nul(scope):
            response = problem(422, "cursor is not one this API issued; start again without it",
                               title="Invalid input",
                               errors=[{"loc": ["query", "cursor"],
                                        "msg": "cursor is not one this API issued"}])
            await response(scope, receive, send)
            return
        body, interrupted = await read_body(receive)
        where = None if body is None else body_nul_location(body)
        if where is not None:
            await _refuse(where, scope, receive, send)
            return
        await self.app(scope, replay(body or b"", interrupted, receive), send)


async def _refuse(where: Location, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem(
        422, "text may not contain the NUL character (U+0000)", title="Validation failed",
        errors=[{"loc": where, "msg": "NUL character not allowed"}])
    await response(scope, receive, send)
