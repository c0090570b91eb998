"""Work one apply needs done once however many changes ask for it: a schedule group, an uploaded file, a bus
permission.

Kinds call `clients.once.run(key, work)` from the applier's threads: the first caller with a key does the work,
callers with the same key meanwhile wait for it, later callers skip it. A failure is not remembered, so the next
caller tries again. The applier calls `reset()` before every apply, so each apply checks the world afresh (a
group or permission deleted by hand since the last apply is created again).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable


class OncePerApply:
    def __init__(self) -> None:
        self._done: set[Hashable] = set()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def run(self, key: Hashable, work: Callable[[], object]) -> None:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key in self._done:
                return
            work()
            self._done.add(key)

    def reset(self) -> None:
        with self._guard:
            self._done.clear()
            self._locks.clear()
