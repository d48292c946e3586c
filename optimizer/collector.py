"""Python's cyclic garbage collector held off while an answer is decoded and explained.

Decoding a 2,000-order answer allocates hundreds of thousands of small objects; a full
collection that happens to fall inside it walks the whole heap and adds ~170 ms (20-30 ms of
decoding without it), past a time limit that had room for the decoding alone. Nothing decoded
here forms reference cycles, so reference counting frees it all the same; the collector runs
again, on its own schedule, once the answer is out. Calls may overlap (threads in the API), so
the collector is held off while at least one is inside and restored by the last one out, and
left alone when it was already off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_inside = 0
_restore = False  # whether the first call in found the collector on


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off the cyclic collector for the duration of the block (see the module doc)."""
    global _inside, _restore
    with _lock:
        if _inside == 0:
            _restore = gc.isenabled()
            gc.disable()
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _restore:
                gc.enable()
