"""Frozen model objects built from valid desired-state files.

The loader builds these only after structure, schema and semantic checks pass; everything above
`controller.desired` (pipelines, kinds, engine) consumes them and never looks at raw YAML again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

DriftMode = Literal["enforce", "warn", "ignore"]
BUILTIN_TEMPLATES = ("batch-inference", "training", "training-hpo")
REGISTRY = "registry"


@dataclass(frozen=True)
class Account:
    """Where the controller works: an AWS account, a region and the role it assumes there."""

    account: str
    region: str
    role: str


@dataclass(frozen=True)
class ChangeWindow:
    """A recurring period in which changes may be applied (like Argo CD sync windows)."""

    schedule: str
    """EventBridge-style cron expression for when the window opens."""
    duration_minutes: int
    timezone: str = "UTC"


@dataclass(frozen=True)
class Environment:
    """One account that runs models, from `environments.yaml`."""

    name: str
    account: str
    region: str
    role: str
    """The role the controller assumes to manage this environment."""
    pipeline_role: str
    """The role SageMaker pipelines run as."""
    scheduler_role: str
    """The role EventBridge schedules and rules use to start pipelines."""
    artifacts: str
    """S3 prefix (ending in '/') for content-addressed processing code."""
    promotes_from: str | None = None
    min_soak_minutes: int = 0
    """How long a version must have been approved in `promotes_from` before it may be declared here."""
    drift: DriftMode = "enforce"
    prune: bool = False
    suspended: bool = False
    change_windows: tuple[ChangeWindow, ...] = ()
    owners: tuple[str, ...] = ()
    """Who must approve changes to this environment's files (GitLab CODEOWNERS entries)."""

    @property
    def target(self) -> Account:
        return Account(account=self.account, region=self.region, role=self.role)


@dataclass(frozen=True)
class MetricThreshold:
    """A bound on one model metric: `max` for error metrics (mse), `min` for scores (auc)."""

    metric: str
    max: float | None = None
    min: float | None = None


@dataclass(frozen=True)
class Thresholds:
    data_quality_max_violations: int = 0
    model_quality: MetricThreshold | None = None


@dataclass(frozen=True)
class BatchInference:
    pipeline: str
    template: str
    schedule: str
    timezone: str
    enabled: bool
    instance_type: str
    instance_count: int
    input: str
    output: str
    ground_truth: str | None = None


@dataclass(frozen=True)
class HyperparameterRange:
    name: str
    type: Literal["integer", "continuous", "categorical"]
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tuning:
    objective: str
    max_jobs: int
    max_parallel_jobs: int
    ranges: tuple[HyperparameterRange, ...]


@dataclass(frozen=True)
class Training:
    pipeline: str
    template: str
    input: str
    instance_type: str
    register_when: MetricThreshold
    schedule: str | None = None
    timezone: str = "UTC"
    on_new_data: bool = False
    tuning: Tuning | None = None
    retune_on_model_quality_failure: bool = False


@dataclass(frozen=True)
class Notifications:
    topic: str
    emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class Override:
    """An emergency pass of the promotion rules, written in the deployment file and kept in the registry."""

    reason: str
    by: str


@dataclass(frozen=True)
class Deployment:
    """What one environment runs for one model: `desired_state/<environment>/<model>.yaml`."""

    environment: str
    model: str
    source: str
    """The file this came from, relative to the desired-state directory (`prod/churn.yaml`)."""
    model_package_group: str
    approved_version: int
    batch_inference: BatchInference
    thresholds: Thresholds
    rejected_versions: tuple[int, ...] = ()
    training: Training | None = None
    notifications: Notifications | None = None
    suspended: bool = False
    override: Override | None = None
    adopt: bool = False
    """Take ownership of same-name resources that exist but were not created by smgitops."""
    path: str = field(default="", compare=False)
    """The file as the user named it (`desired_state/prod/churn.yaml`), for messages."""
    positions: Mapping[str, tuple[int, int]] = field(default_factory=dict, compare=False)
    """Line and column of each top-level field's value, for messages about this file found after loading."""

    def locate(self, field_name: str) -> str:
        """`desired_state/prod/churn.yaml:4:18`: where a message about `field_name` should point."""
        line, column = self.positions.get(field_name, (1, 1))
        return f"{self.path or self.source}:{line}:{column}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.environment, self.model)


@dataclass(frozen=True)
class DesiredState:
    """Everything git says, for every environment and model."""

    registry: Account
    environments: dict[str, Environment]
    deployments: tuple[Deployment, ...]
    revision: str = "unknown"
    """The git commit (or a content hash) the files were read at."""
    root: str = field(default=".", compare=False)
    owners: tuple[str, ...] = ()
    """Who must approve changes to environments.yaml itself (GitLab CODEOWNERS entries)."""

    def deployments_in(self, environment: str) -> tuple[Deployment, ...]:
        return tuple(d for d in self.deployments if d.environment == environment)

    def sees_version_events(self, environment: str) -> bool:
        """SageMaker emits model package events only in the registry's account and region: an environment
        there can announce new versions with an EventBridge rule of its own."""
        place = self.environments[environment]
        return (place.account, place.region) == (self.registry.account, self.registry.region)

    def unannounced_groups(self) -> list[Deployment]:
        """Training deployments with notifications whose new versions no rule of smgitops can announce."""
        return [
            d for d in self.deployments
            if d.training is not None and d.notifications is not None and not self.sees_version_events(d.environment)
        ]

    def model_package_arn(self, deployment: Deployment, version: int | None = None) -> str:
        number = deployment.approved_version if version is None else version
        return (
            f"arn:aws:sagemaker:{self.registry.region}:{self.registry.account}:"
            f"model-package/{deployment.model_package_group}/{number}"
        )
