"""`smgitops show [DIR]`: the fleet as git declares it, for a reviewer to take in at a glance.

Three tables: the environments (account, region, promotion, policies), the approved version of every model
in every environment, and per deployment its schedule, thresholds and training triggers. Invalid files give
the same problem lines as `validate` and exit 1. Reads only the files, never AWS.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controller.desired.model import Deployment, DesiredState, Environment, MetricThreshold

DEFAULT_DIR = "desired_state"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=DEFAULT_DIR, help=f"desired-state directory (default: {DEFAULT_DIR})")


def run(args: argparse.Namespace) -> int:
    from controller.commands.validate import print_problems
    from controller.desired import load

    result = load(args.dir)
    if result.state is None:
        print_problems(result.problems)
        return 1
    print("\n".join(render(result.state)))
    return 0


def render(state: DesiredState) -> list[str]:
    """The lines of the three tables for a `DesiredState`."""
    registry = state.registry
    lines = [f"{state.root} @ {state.revision}: model registry in {registry.account} ({registry.region})", ""]
    lines += _table(("ENVIRONMENT", "ACCOUNT", "REGION", "PROMOTES FROM", "DRIFT", "PRUNE", "NOTES"),
                    [_environment_row(environment) for environment in state.environments.values()])
    lines += ["", *_versions(state), ""]
    lines += _table(("ENVIRONMENT", "MODEL", "VERSION", "BATCH INFERENCE", "THRESHOLDS", "TRAINING"),
                    [_deployment_row(deployment) for deployment in state.deployments])
    return lines


def _environment_row(environment: Environment) -> tuple[str, ...]:
    notes = ["suspended"] if environment.suspended else []
    if environment.change_windows:
        windows = ", ".join(f"{w.schedule} {w.timezone} for {w.duration_minutes}m" for w in environment.change_windows)
        notes.append(f"changes only in {windows}")
    return (environment.name, environment.account, environment.region, environment.promotes_from or "-",
            environment.drift, "yes" if environment.prune else "no", "; ".join(notes) or "-")


def _versions(state: DesiredState) -> list[str]:
    names = list(state.environments)
    approved = {deployment.key: deployment.approved_version for deployment in state.deployments}
    models = sorted({deployment.model for deployment in state.deployments})
    rows = [(model, *(str(approved.get((name, model), "-")) for name in names)) for model in models]
    return _table(("APPROVED VERSION", *names), rows)


def _deployment_row(deployment: Deployment) -> tuple[str, ...]:
    batch = deployment.batch_inference
    version = str(deployment.approved_version)
    if deployment.rejected_versions:
        version += " (rejected: " + ", ".join(map(str, deployment.rejected_versions)) + ")"
    schedule = f"{batch.schedule} {batch.timezone}" + ("" if batch.enabled else " (disabled)")
    model = deployment.model + (" (suspended)" if deployment.suspended else "")
    return (deployment.environment, model, version, schedule, _thresholds(deployment), _training(deployment))


def _thresholds(deployment: Deployment) -> str:
    parts = [f"violations<={deployment.thresholds.data_quality_max_violations}"]
    if deployment.thresholds.model_quality:
        parts.append(_bound(deployment.thresholds.model_quality))
    return ", ".join(parts)


def _bound(threshold: MetricThreshold) -> str:
    if threshold.max is not None:
        return f"{threshold.metric}<={threshold.max:g}"
    return f"{threshold.metric}>={threshold.min:g}"


def _training(deployment: Deployment) -> str:
    training = deployment.training
    if training is None:
        return "-"
    triggers = [f"{training.schedule} {training.timezone}"] if training.schedule else []
    if training.on_new_data:
        triggers.append("new data")
    if training.retune_on_model_quality_failure:
        triggers.append("retune on model quality")
    started_by = ", ".join(triggers) or "manual only"
    return f"{training.template}: {started_by}; registers if {_bound(training.register_when)}"


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    return ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in (headers, *rows)]
