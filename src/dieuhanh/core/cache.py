"""A small thread-safe LRU for values computed from the database, keyed by the state they were computed from.

The key always includes a *state key* read from the database on each request (e.g.
``indicators.service.data_state``), so another process writing the database invalidates entries without any
message between processes: a changed state simply makes a different key, and the old entry ages out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_ALL: list[LRUCache] = []


class LRUCache:
    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.data: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()
        _ALL.append(self)

    def get(self, key: Any) -> Any:
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return None

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def get_or_build(self, key: Any, build: Callable[[], T]) -> T:
        """The cached value, or ``build()`` stored under ``key`` (two threads may both build once; harmless)."""
        found = self.get(key)
        if found is None:
            found = build()
            self.put(key, found)
        return found  # type: ignore[no-any-return]

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


def clear_all() -> None:
    """Empties every cache of the process (tests that change rows behind the state keys' back)."""
    for cache in _ALL:
        cache.clear()
