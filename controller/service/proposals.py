"""Proposals: a registered version that meets the first environment's thresholds becomes a merge request.

For a deployment that starts its model's promotion path (`candidates.first_deployment`), the newest registered
version that meets its `thresholds.modelQuality` (`candidates.newest_candidate`, which reads the registry) is
proposed with `controller.gitlab.proposals.propose`: the deployment's file on the target branch with only
`approvedVersion` changed, and a description with the registered metrics against the threshold and a link to
the training run. With no such version, an open proposal the target branch has caught up with (or rejects) is
closed. `smgitops propose` (CI) calls `propose_deployment` for every such deployment; `smgitops run` keeps a
`Proposer` that does it for the groups a `SageMaker Model Package State Change` event names.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from controller.aws.errors import describe
from controller.desired.edit import EditError, with_approved_version
from controller.desired.model import Deployment, DesiredState
from controller.engine.candidates import Candidate, first_deployment, newest_candidate
from controller.gitlab import Draft, GitLabError, ProjectRef, close_stale, connect, propose
from controller.service.logging import get_logger

log = get_logger("smgitops.proposals")
CONNECT_ONCE = partial(connect, retry=False)
"""The controller's GitLab client: no retries of its own, the next resync tries again."""
CONSOLE = "https://console.aws.amazon.com/sagemaker/home?region={region}#/pipelines/{pipeline}/executions/{execution}"


@dataclass(frozen=True)
class Outcome:
    """What happened to one deployment's proposal: `opened`, `updated`, `unchanged`, `closed`, `current`
    (the target branch declares the version already), `none` (no version to propose) or `failed`."""

    key: tuple[str, str]
    action: str
    version: int | None = None
    iid: int | None = None
    web_url: str = ""
    detail: str = ""

    def line(self) -> str:
        where = "/".join(self.key)
        if self.iid is None:
            return f"{where}: {self.action}: {self.detail}" if self.detail else f"{where}: {self.action}"
        detail = f" ({self.detail})" if self.detail else ""
        return f"{where}: {self.action} !{self.iid} for version {self.version}{detail}: {self.web_url}"


def propose_deployment(
    state: DesiredState,
    deployment: Deployment,
    *,
    clients,
    gitlab_client,
    project: ProjectRef,
    directory: str,
    target_branch: str | None = None,
) -> Outcome:
    """Open, update, keep or close the proposal of `deployment`; errors come back as a `failed` outcome."""
    try:
        candidate = newest_candidate(state, deployment, clients=clients)
    except Exception as error:  # AWS refused or is unreachable: one line, retried later
        return Outcome(deployment.key, "failed", detail=f"reading the registry: {describe(error)}")
    try:
        if candidate is None:
            closed = close_stale(
                gitlab_client, project, environment=deployment.environment, model=deployment.model,
                declared=deployment.approved_version, rejected=deployment.rejected_versions,
                target=target_branch or "the default branch",
            )
            if closed is not None:
                return Outcome(deployment.key, closed.action, closed.version, closed.iid, closed.web_url, closed.detail)
            threshold = f"{deployment.environment}'s thresholds"
            detail = f"no registered version newer than the declared ones meets {threshold}"
            return Outcome(deployment.key, "none", detail=detail)
        result = propose(
            gitlab_client, project, draft_for(state, deployment, candidate, directory=directory),
            target_branch=target_branch,
        )
    except (GitLabError, EditError) as error:
        return Outcome(deployment.key, "failed", candidate.version, detail=str(error))
    return Outcome(deployment.key, result.action, result.version, result.iid, result.web_url, result.detail)


def draft_for(state: DesiredState, deployment: Deployment, candidate: Candidate, *, directory: str) -> Draft:
    """The merge request asking `deployment` to declare `candidate.version`."""
    version = candidate.version
    environment, model = deployment.key

    def edit(raw: bytes) -> bytes | None:
        declared, edited = with_approved_version(raw, version)
        return None if declared is not None and declared >= version else edited

    return Draft(
        environment=environment,
        model=model,
        path=f"{directory.strip('/')}/{deployment.source}" if directory.strip("/.") else deployment.source,
        version=version,
        title=f"{model}: approve version {version} in {environment}",
        description=describe_candidate(state, deployment, candidate),
        edit=edit,
    )


def describe_candidate(state: DesiredState, deployment: Deployment, candidate: Candidate) -> str:
    environment = deployment.environment
    group = deployment.model_package_group
    lines = [
        f"Training registered version **{candidate.version}** of model package group `{group}`, and it meets "
        f"{environment}'s model quality threshold. Merging this merge request approves it in {environment}.",
        "",
    ]
    threshold = deployment.thresholds.model_quality
    if threshold is not None:
        bounds = [f"max {threshold.max:g}" if threshold.max is not None else "", f"min {threshold.min:g}" if
                  threshold.min is not None else ""]
        value = candidate.metrics.get(threshold.metric)
        lines += [
            f"| metric | version {candidate.version} | {environment}'s threshold |",
            "|---|---|---|",
            f"| `{threshold.metric}` | {value:g} | {', '.join(bound for bound in bounds if bound)} |",
            "",
        ]
    run = run_link(candidate.execution, region=state.registry.region)
    lines.append(f"Training run: {run}" if run else "Training run: not recorded on the version.")
    if candidate.registered_at:
        lines.append(f"Registered: {candidate.registered_at}")
    return "\n".join(lines)


def run_link(execution: str | None, *, region: str) -> str | None:
    """`arn:aws:sagemaker:<region>:<account>:pipeline/<name>/execution/<id>` as a console link (Markdown)."""
    if not execution:
        return None
    parts = execution.split(":", 5)
    resource = parts[5].split("/") if len(parts) == 6 else []
    if len(resource) != 4 or resource[0] != "pipeline" or resource[2] != "execution":
        return f"`{execution}`"
    url = CONSOLE.format(region=parts[3] or region, pipeline=resource[1], execution=resource[3])
    return f"[{resource[1]} / {resource[3]}]({url}) (`{execution}`)"


class Proposer:
    """The service's proposals: `request(group)` from the event thread, `run(state)` from the loop after a
    reconcile; a group whose proposal failed is tried again at the next full reconcile."""

    def __init__(
        self,
        project: ProjectRef,
        *,
        directory: str,
        target_branch: str | None,
        clients,
        connect_to: Callable[[ProjectRef], object] = CONNECT_ONCE,
    ) -> None:
        self.project = project
        self.directory = directory
        self.target_branch = target_branch
        self.clients = clients
        self._connect = connect_to
        self._client = None
        self._lock = threading.Lock()
        self._requested: set[str] = set()
        self._failed: set[str] = set()

    def request(self, group: str) -> None:
        with self._lock:
            self._requested.add(group)

    def run(self, state: DesiredState, *, retry: bool) -> list[Outcome]:
        """Propose for the requested groups, and (when `retry`) for those that failed before."""
        with self._lock:
            groups = self._requested | (self._failed if retry else set())
            self._requested = set()
            self._failed -= groups
        outcomes = [self._one(state, group) for group in sorted(groups)]
        return [outcome for outcome in outcomes if outcome is not None]

    def _one(self, state: DesiredState, group: str) -> Outcome | None:
        deployment = first_deployment(state, group)
        if deployment is None:
            return None
        try:
            self._client = self._client or self._connect(self.project)
            outcome = propose_deployment(
                state, deployment, clients=self.clients, gitlab_client=self._client, project=self.project,
                directory=self.directory, target_branch=self.target_branch,
            )
        except GitLabError as error:
            outcome = Outcome(deployment.key, "failed", detail=str(error))
        except Exception as error:  # never stop the loop over a proposal; the type says where to look
            detail = f"{type(error).__name__}: {' '.join(str(error).split())}"
            outcome = Outcome(deployment.key, "failed", detail=detail)
        fields = {"environment": deployment.environment, "model": deployment.model, "group": group}
        if outcome.action == "failed":
            with self._lock:
                self._failed.add(group)
            self._client = None
            log.warning("proposal failed; tried again at the next resync", **fields, error=outcome.detail)
        else:
            log.info(
                f"proposal {outcome.action}", **fields, version=outcome.version, merge_request=outcome.iid,
                url=outcome.web_url or None, detail=outcome.detail or None,
            )
        return outcome
