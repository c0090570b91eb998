"""How the long-running controller is configured: one frozen dataclass, filled from `smgitops run` options.

`controller.commands.run` builds a `Settings` from its arguments and hands it to `Controller`; nothing else
reads command-line arguments. Every field says what it does and what its default means.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from controller.desired.model import Account


@dataclass(frozen=True)
class Settings:
    source: str = "desired_state"
    """A desired-state directory, or a git URL (https://, ssh://, git@..., file://)."""
    branch: str = "main"
    """The git branch to follow (git sources only)."""
    path: str = "desired_state"
    """The directory inside the repository that holds environments.yaml (git sources only)."""
    workdir: Path | None = None
    """Where the git clone lives; default a temporary directory removed at exit."""
    interval: float = 60.0
    """Seconds between fetches of the source; a new commit is applied within one interval."""
    resync: float = 600.0
    """Seconds between full reconciles when nothing happens (drift is found at least this often)."""
    full_read: float = 3600.0
    """Seconds between full reads: in between, a resync describes only objects whose list stamp moved (see
    `controller.kinds.memory`); 0 describes every object at every resync."""
    stats: bool = False
    """Print, when the controller stops, the calls it made and the reads per managed object of its resyncs."""
    jitter: float = 0.1
    """Each resync waits `resync × (1 + up to jitter)`, so replicas of many controllers do not align."""
    queue_url: str | None = None
    """The SQS queue EventBridge rules deliver events to; None reads no events (resyncs only)."""
    queue_role: str | None = None
    """A role to assume to read the queue; None uses the controller's own credentials."""
    queue_region: str | None = None
    """The queue's region; default the one in its URL, else the registry's."""
    queue_wait: int = 10
    """SQS long-poll seconds (0-20)."""
    lease_table: str | None = None
    """The DynamoDB table of the lease; None runs without one (only ever run a single replica then)."""
    lease_name: str = "smgitops"
    """The lease item's key: replicas of one controller share it."""
    lease_duration: float = 30.0
    """Seconds a lease lasts without renewal; a standby takes over at most this long after the leader dies."""
    lease_role: str | None = None
    """The role whose account holds the lease table; None uses the registry's role."""
    lease_region: str | None = None
    """The lease table's region; None uses the registry's region."""
    create_lease_table: bool = False
    """Create the lease table when it does not exist (otherwise a missing table stops the controller)."""
    holder: str = ""
    """This replica's identity in the lease; empty means host name, process id and a random suffix."""
    shard_by: str = "none"
    """`none`: one lease, one writing replica, the others stand by. `environment`: the environments and the
    registry are shards, each under its own lease, split among the live replicas (`controller.service.shards`)."""
    health_port: int | None = 8080
    """Port of /healthz, /readyz and /metrics; 0 picks a free one (logged), None serves none."""
    health_address: str = "0.0.0.0"
    """Address the health server binds: every interface by default (load balancers and Prometheus reach the
    task's own IP); `127.0.0.1` when only the container's own health check may ask."""
    dashboard_refresh: float = 60.0
    """The dashboard reads live state at most this often (seconds), and only while someone looks at it."""
    dashboard_runs: int = 10
    """Runs the dashboard shows per pipeline."""
    max_cycles: int | None = None
    """Stop (exit 0) after this many full reconciles; None runs until SIGTERM."""
    endpoint_url: str | None = None
    """Send every AWS call here (an emulator)."""
    calls_per_second: float | None = None
    """A hard cap on AWS calls per second per account; None (the default) for none: calls slow down by
    themselves when AWS throttles them."""
    backoff_base: float = 1.0
    """First retry delay after a temporary error; it doubles with each failure of the same key."""
    backoff_max: float = 300.0
    """The longest retry delay."""
    gitlab_url: str | None = None
    """GitLab's API root (`https://gitlab.example.com/api/v4`) for proposals; None opens none."""
    gitlab_project: str | None = None
    """The GitLab project (id or `group/name`) holding the desired state, where proposals are opened."""
    gitlab_token: str = field(default="", repr=False)
    """The token proposals use (from `SMGITOPS_GITLAB_TOKEN`, never an option, never logged)."""

    def holder_id(self) -> str:
        return self.holder or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"

    def lease_target(self, registry: Account) -> Account:
        if not self.lease_role:
            return Account(registry.account, self.lease_region or registry.region, registry.role)
        return Account(_arn_account(self.lease_role), self.lease_region or registry.region, self.lease_role)

    def queue_target(self, registry: Account) -> Account:
        """Where the queue is read from; an empty role means the controller's own credentials."""
        assert self.queue_url is not None
        parsed = urlparse(self.queue_url)
        parts = [part for part in parsed.path.split("/") if part]
        account = parts[0] if parts else ""
        host = (parsed.hostname or "").split(".")
        region_in_url = host[1] if len(host) > 3 and host[0] == "sqs" else None
        region = self.queue_region or region_in_url or registry.region
        return Account(account, region, self.queue_role or "")


def _arn_account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""
