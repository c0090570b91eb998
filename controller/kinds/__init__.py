"""The registry of managed kinds: one module each, all satisfying `controller.kinds.base.Kind`.

Adding a kind is one new module and one line here.
"""

from __future__ import annotations

from controller.kinds import approval, pipeline, schedule, topic, trigger
from controller.kinds.base import Kind

KINDS: dict[str, Kind] = {
    "approval": approval,
    "pipeline": pipeline,
    "trigger": trigger,
    "schedule": schedule,
    "topic": topic,
}
