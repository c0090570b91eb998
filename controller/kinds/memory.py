"""What the service read last time, so a quiet resync asks only the cheap question: what changed since?

A reader lists the objects of its scope anyway (one list call per account and kind); the list answer carries
a *stamp* per object — the modification time ListPipelines and ListSchedules give, the rule itself from
ListRules, the approval status from ListModelPackages, the tags from the tagging index — and the object is
described again only when its stamp differs from the one remembered with it. Where no stamp can tell
(targets of a rule, subscriptions of a topic, metadata of a version whose status did not change), a change
made outside git is found by the event that names it, by the next full read (the service does one every
`--full-read` seconds) or by the stamp moving for another reason. A fact no list call stamps at all (the
schedule group is smgitops's) is remembered while it holds, until the next full read (`held_fact`). Kinds
describe on several threads at once; the memory locks what it keeps. `ReadScope.memory` is None outside the
service: `plan` and `apply` always describe everything.

One `LiveMemory` lives as long as the service process. A scope read with `fresh=True` describes everything
and refreshes the memory; whatever an apply wrote is forgotten, so the next read describes it again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from controller.kinds.base import Live

Address = tuple[str, str, str]
"""(kind, environment or `registry`, name)."""


class LiveMemory:
    """Live objects by address, each with the stamp its list call showed when it was described."""

    def __init__(self) -> None:
        self._kept: dict[Address, tuple[Hashable, Live | None]] = {}
        self._lock = threading.Lock()
        self.recalled = 0
        """Objects taken from memory instead of described (since the process started)."""

    def scope(self, kind: str, environment: str, *, fresh: bool) -> ScopeMemory:
        return ScopeMemory(self, kind, environment, fresh)

    def recall(self, address: Address, stamp: Hashable) -> tuple[bool, Live | None]:
        """(found, live): found only when the remembered stamp equals `stamp` (a None stamp never matches)."""
        if stamp is None:
            return False, None
        with self._lock:
            kept = self._kept.get(address)
            if kept is None or kept[0] != stamp:
                return False, None
            self.recalled += 1
            return True, kept[1]

    def keep(self, address: Address, stamp: Hashable, live: Live | None) -> None:
        with self._lock:
            if stamp is None:
                self._kept.pop(address, None)
            else:
                self._kept[address] = (stamp, live)

    def forget(self, addresses: Iterable[Address]) -> None:
        with self._lock:
            for address in addresses:
                self._kept.pop(address, None)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._kept)


@dataclass(frozen=True)
class ScopeMemory:
    """The memory as one scope (kind, environment) sees it; `fresh` describes everything and refreshes it."""

    memory: LiveMemory
    kind: str
    environment: str
    fresh: bool


def described(
    memory: ScopeMemory | None, name: str, stamp: Hashable, describe: Callable[[], Live | None]
) -> Live | None:
    """The live object `name`: remembered when its stamp did not move, else `describe()` (and remember it).
    `describe` may answer None (the object vanished since it was listed); that is remembered too."""
    if memory is None:
        return describe()
    address = (memory.kind, memory.environment, name)
    if not memory.fresh:
        found, live = memory.memory.recall(address, stamp)
        if found:
            return live
    live = describe()
    memory.memory.keep(address, stamp, live)
    return live


HELD = "held"


def held_fact(memory: ScopeMemory | None, name: str, check: Callable[[], bool]) -> bool:
    """`check()`, remembered while it holds: a fact no list call stamps (the schedule group is smgitops's) is
    checked again by a fresh read, and at once after it was found false."""
    if memory is None:
        return check()
    address = (memory.kind, memory.environment, name)
    if not memory.fresh and memory.memory.recall(address, HELD)[0]:
        return True
    holds = check()
    memory.memory.keep(address, HELD if holds else None, None)
    return holds
