"""Identifiers: time-sortable ids (newest sort last) and unguessable tokens."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def _base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """A ULID-shaped id: 48 bits of milliseconds then 80 random bits, so ids sort by creation.

    Sortable ids give keyset pagination a stable order without a separate sequence.
    """
    millis = int(time.time() * 1000) & ((1 << 48) - 1)
    rand = secrets.randbits(80)
    return f"{prefix}_{_base32(millis, 10)}{_base32(rand, 16)}"


def new_token() -> str:
    """A token for a customer's tracking link: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)
