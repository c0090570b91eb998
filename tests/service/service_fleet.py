"""Drive the fleet the service tests work on: seeded accounts, a git repository, `smgitops run` processes.

`Fleet` seeds the central registry (churn versions 1-9, customer-ltv 1-4) and the artifact buckets, makes a git
repository from a copy of `desired_state/` and an SQS queue for events; `Fleet.start(...)` runs
`python -m controller.main run` against them with fake credentials, and `ControllerProcess` reads its JSON log
lines as they come so a test can wait for one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from controller.aws import console
from controller.aws.clients import Clients
from controller.aws.emulator import Emulator, create_bucket, seed_registry
from controller.desired.model import Account, DesiredState

EXAMPLE = Path(__file__).resolve().parents[2] / "desired_state"
GIT = ["git", "-c", "user.name=Dana Scientist", "-c", "user.email=dana@example.com", "-c", "init.defaultBranch=main"]
VERSIONS = {"churn": 9, "customer-ltv": 4}
QUEUE_ACCOUNT = Account("", "us-east-1", "")
"""The controller's own credentials (no role): the queue lives in the account they map to."""
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


class ControllerProcess:
    """`smgitops run` in a subprocess; its stderr JSON lines collected in `lines` as they arrive."""

    def __init__(self, argv: list[str], *, env: dict[str, str], name: str) -> None:
        self.name = name
        self.argv = argv
        self.lines: list[dict[str, Any]] = []
        self.started = time.monotonic()
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            try:
                line = json.loads(raw)
            except ValueError:
                line = {"event": raw.rstrip(), "unparsed": True}
            line["at"] = time.monotonic()
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(
        self, event: str, *, timeout: float = 20.0, after: float = 0.0, **fields: Any
    ) -> dict[str, Any]:
        """The first line with this `event` and these fields logged at or after monotonic time `after`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if line["at"] >= after and line.get("event") == event and _has(line, fields):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.process.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"{self.name}: no {event!r} {fields} in time; log tail:\n{self.tail()}")
                self._changed.wait(min(remaining, 0.2))

    def events(self, event: str, **fields: Any) -> list[dict[str, Any]]:
        with self._changed:
            return [line for line in self.lines if line.get("event") == event and _has(line, fields)]

    def tail(self, count: int = 25) -> str:
        with self._changed:
            return "\n".join(json.dumps(line, default=str)[:400] for line in self.lines[-count:])

    def stop(self, *, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send `sig` and wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.wait(timeout=timeout)

    def wait(self, *, timeout: float) -> int:
        """Wait for the process to end by itself; its exit code."""
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def http(self, path: str) -> tuple[int, str]:
        """GET `path` from the health server (its port is in the `health server` line)."""
        bound = self.wait_for("health server")
        try:
            with urllib.request.urlopen(f"http://{bound['address']}:{bound['port']}{path}", timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def summary(self) -> dict[str, Any]:
        """The `stopped` line: calls made by reconciles, notifications, full cycles."""
        found = self.events("stopped")
        assert found, f"{self.name}: no 'stopped' line; log tail:\n{self.tail()}"
        return found[-1]


def _has(line: dict[str, Any], fields: dict[str, Any]) -> bool:
    return all(line.get(key) == value for key, value in fields.items())


class Fleet:
    """Seeded accounts, a git repository of the example desired state, an event queue; starts controllers."""

    def __init__(self, emulator: Emulator, root: Path, state: DesiredState) -> None:
        self.emulator = emulator
        self.state = state
        self.repo = root / "fleet"
        self.clients: Clients = emulator.clients(calls_per_second_per_account=None)
        self.processes: list[ControllerProcess] = []
        self.queue_url = ""

    @property
    def url(self) -> str:
        return f"file://{self.repo}"

    def seed(self) -> None:
        for environment in self.state.environments.values():
            bucket = environment.artifacts.removeprefix("s3://").split("/", 1)[0]
            create_bucket(self.clients, environment.target, bucket)
        for group, count in VERSIONS.items():
            seed_registry(self.clients, self.state.registry, group=group, versions=count, bucket="registry-models")
        sqs = self.clients.client("sqs", QUEUE_ACCOUNT)
        self.queue_url = sqs.create_queue(QueueName="smgitops-events")["QueueUrl"]
        shutil.copytree(EXAMPLE, self.repo / "desired_state")
        self.git("init", "-q")
        self.commit("Declare the fleet")

    def git(self, *arguments: str) -> str:
        done = subprocess.run([*GIT, *arguments], cwd=self.repo, check=True, capture_output=True, text=True)
        return done.stdout.strip()

    def commit(self, message: str, files: Mapping[str, str | Callable[[str], str]] | None = None) -> str:
        """Write (text) or edit (a function of the old text) files under desired_state/ and commit them;
        returns the revision the controller should record (12 hex digits)."""
        for relative, change in (files or {}).items():
            path = self.repo / "desired_state" / relative
            path.write_text(change(path.read_text()) if callable(change) else change)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")[:12]

    def start(self, *options: str, source: str | None = None, name: str = "controller") -> ControllerProcess:
        argv = [
            sys.executable, "-m", "controller.main", "--endpoint-url", self.emulator.url,
            "--log-format", "json", "--log-level", "info",
            "run", source or self.url,
            "--health-port", "0", "--health-address", "127.0.0.1", "--calls-per-second", "0",
            *options,
        ]
        environment = {
            key: value for key, value in os.environ.items()
            if not key.startswith("AWS_") and not key.startswith("SMGITOPS_GIT_")
        }
        process = ControllerProcess(argv, env={**environment, **FAKE_AWS}, name=name)
        self.processes.append(process)
        return process

    def close(self) -> None:
        for process in self.processes:
            if process.process.poll() is None:
                process.process.kill()
                process.process.wait(timeout=10)
        self.clients.close()


def replace(pattern: str, replacement: str) -> Callable[[str], str]:
    """An edit for `Fleet.commit`: replace the one line matching `pattern` (a regular expression)."""

    def change(text: str) -> str:
        edited, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
        assert count == 1, f"{pattern!r} matched {count} times"
        return edited

    return change


PIPELINE = "churn-batch-inference"
"""The example's batch inference pipeline of churn, deployed in every environment."""


def edit_in_the_console(fleet: Fleet, environment: str) -> None:
    """Change `PIPELINE`'s role in `environment` by hand, as someone in the console would."""
    target = fleet.state.environments[environment].target
    role = f"arn:aws:iam::{target.account}:role/edited-in-the-console"
    console.edit_pipeline(fleet.clients, target, name=PIPELINE, RoleArn=role)


def package_state_change(fleet: Fleet, *, group: str, version: int, status: str) -> dict[str, Any]:
    """The `SageMaker Model Package State Change` event EventBridge delivers for a version of `group`."""
    registry = fleet.state.registry
    arn = f"arn:aws:sagemaker:{registry.region}:{registry.account}:model-package/{group}/{version}"
    return {
        "version": "0",
        "id": "8f0c2b6e-0d1f-4c6a-9a3e-1b2c3d4e5f60",
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": registry.account,
        "region": registry.region,
        "resources": [arn],
        "detail": {
            "ModelPackageGroupName": group,
            "ModelPackageVersion": version,
            "ModelPackageArn": arn,
            "ModelApprovalStatus": status,
        },
    }


def send(fleet: Fleet, event: dict[str, Any] | str) -> None:
    """Put `event` (or a raw message body) on the controller's queue."""
    body = event if isinstance(event, str) else json.dumps(event)
    fleet.clients.client("sqs", QUEUE_ACCOUNT).send_message(QueueUrl=fleet.queue_url, MessageBody=body)
