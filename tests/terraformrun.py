"""Terraform as the tests run it: on a copy of `terraform/` (and `desired_state/`, which the example reads).

Terraform writes `.terraform/` and lock files next to the configuration, so the tests never run it in the
repository: `workspace(base)` copies both directories under `base` and `Terraform(directory)` runs the binary
there, offline (`-plugin-dir` holds the AWS provider unpacked, so init only links to it), with no version check,
an empty CLI configuration and no `AWS_*`/`TF_*` variables from the caller, so nothing can reach a real account.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
TERRAFORM = shutil.which("terraform") or "/usr/local/bin/terraform"
PLUGIN_DIR = "/opt/tf-plugins"
MODULES = ("controller", "environment", "registry")
"""The modules a caller uses; `forwarding` and `event-patterns` are validated as their children."""
EXAMPLE = "examples/organisation"
PROGRESS = re.compile(r"Refreshing state\.\.\.|: Reading\.\.\.|: Read complete after|Still (creating|modifying)")


def workspace(base: Path) -> Path:
    """Copy `terraform/` and `desired_state/` under `base`; return the copy of `terraform/`."""
    for name in ("terraform", "desired_state"):
        skip = shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl")
        shutil.copytree(REPOSITORY / name, base / name, ignore=skip, dirs_exist_ok=True)
    return base / "terraform"


class Terraform:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        cli_config = directory / ".terraformrc"
        cli_config.touch()
        self.environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "TF_"))}
        self.environment.update(TF_CLI_CONFIG_FILE=str(cli_config), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")

    def run(self, *arguments: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        completed = subprocess.run(
            [TERRAFORM, *arguments, "-no-color"], cwd=self.directory, env=self.environment,
            capture_output=True, text=True, check=False,
        )
        if completed.returncode not in ok:
            lines = [line for line in (completed.stdout + completed.stderr).splitlines() if not PROGRESS.search(line)]
            raise AssertionError(
                f"terraform {' '.join(arguments)} in {self.directory} exited {completed.returncode}:\n"
                + "\n".join(lines[-80:])
            )
        return completed

    def init(self) -> Terraform:
        self.run("init", "-backend=false", "-input=false", f"-plugin-dir={PLUGIN_DIR}")
        return self
