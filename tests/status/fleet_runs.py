"""The example fleet's recent past on the emulator: what the status tests and the browser test start from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controller.commands.demo_runs import record_run
from controller.engine.reconcile import reconcile

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
"""A Friday: dev's batch inference runs on weekdays, so its next run is on Monday."""
MQ_HISTORY = (7.5, 8.0, 7.0)
"""The model quality metric of the three daily runs before the last, oldest first."""


def deployment(state, environment: str, model: str):
    return next(item for item in state.deployments if item.key == (environment, model))


def apply_with_runs(aws, state, *, now: datetime = NOW) -> None:
    """Apply `state`, then three passing daily runs of every batch pipeline and one training run."""
    outcome = reconcile(state, clients=aws)
    assert outcome.reason == "applied", outcome.plan.errors
    for item in state.deployments:
        for days_ago, value in zip((3, 2, 1), MQ_HISTORY, strict=True):
            record_run(aws, state, item, started=now - timedelta(days=days_ago), metric_value=value)
    record_run(aws, state, deployment(state, "dev", "churn"), started=now - timedelta(days=2), training=True,
               minutes=95)
