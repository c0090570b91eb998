"""Execute a plan: every actionable change, kinds in `ORDER`, accounts in parallel within one order level.

A failed change is recorded and the rest go on (a later kind that depends on a failed earlier one in the same
environment and model is skipped, not attempted). Held changes are never executed. The result says what was
written and what failed, one line each, for the reports and the exit code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby

from controller.aws.errors import classify
from controller.engine.plan import Change, Plan
from controller.kinds.base import Kind


@dataclass
class ApplyResult:
    applied: list[Change] = field(default_factory=list)
    failed: list[tuple[Change, str]] = field(default_factory=list)
    skipped: list[tuple[Change, str]] = field(default_factory=list)
    retryable: set[str] = field(default_factory=set)
    """Addresses that failed (or were skipped after a failure) for a temporary reason: worth trying again."""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped


def apply_plan(
    plan: Plan,
    *,
    kinds: Mapping[str, Kind],
    clients,
    max_workers: int = 8,
    on_change: Callable[[Change, str | None], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> ApplyResult:
    result = ApplyResult()
    clients.once.reset()
    failed_keys: dict[tuple[str, str | None], bool] = {}
    """(environment, model) → whether its failure was temporary."""
    ordered = sorted(plan.actionable, key=lambda change: kinds[change.kind].ORDER)
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="apply") as pool:
        for _, level in groupby(ordered, key=lambda change: kinds[change.kind].ORDER):
            if should_stop():
                break
            runnable = []
            for change in level:
                key = (change.environment, change.model)
                if key in failed_keys and change.model is not None:
                    result.skipped.append((change, "an earlier change of the same deployment failed"))
                    if failed_keys[key]:
                        result.retryable.add(change.address)
                else:
                    runnable.append(change)
            futures = [
                (change, pool.submit(kinds[change.kind].apply, clients, change)) for change in runnable
            ]
            for change, future in futures:
                error, temporary = _error_of(future)
                if error is None:
                    result.applied.append(change)
                else:
                    result.failed.append((change, error))
                    key = (change.environment, change.model)
                    failed_keys[key] = failed_keys.get(key, False) or temporary
                    if temporary:
                        result.retryable.add(change.address)
                if on_change is not None:
                    on_change(change, error)
    return result


def _error_of(future) -> tuple[str | None, bool]:
    """The failure of one change as one line, and whether it was temporary."""
    try:
        future.result()
    except Exception as error:  # reported per change; the apply goes on
        return " ".join(str(error).split()) or type(error).__name__, classify(error) == "temporary"
    return None, False
