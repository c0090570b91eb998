"""Terraform's half of the benchmark: init offline, apply once, then time no-change plans and count requests.

`plan_vs_terraform.py` calls `prepare`, `apply` and `plan`. Terraform runs as it would in CI: a local
state file, the AWS provider from the offline plugin directory (`-plugin-dir`), no version check
(`CHECKPOINT_DISABLE`), an empty CLI configuration file, and no AWS variables from the caller's environment
(the provider blocks carry the emulator's endpoint and fake keys).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from counting_emulator import EmulatorProcess
from measure import Sample, run

PLUGIN_DIR = "/opt/tf-plugins"


def terraform_binary() -> str:
    found = shutil.which("terraform")
    if found is None:
        raise SystemExit("terraform is not on PATH")
    return found


def environment(workdir: Path) -> dict[str, str]:
    variables = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "TF_"))}
    cli_config = workdir / "terraformrc"
    cli_config.touch()
    variables.update(TF_CLI_CONFIG_FILE=str(cli_config), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    return variables


def terraform(workdir: Path, *arguments: str, ok: tuple[int, ...] = (0,)) -> tuple[float, subprocess.CompletedProcess]:
    command = [terraform_binary(), *arguments]
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=workdir, env=environment(workdir), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if completed.returncode not in ok:
        tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-40:])
        raise SystemExit(f"terraform {' '.join(arguments)} exited {completed.returncode}:\n{tail}")
    return seconds, completed


def versions(workdir: Path) -> dict[str, Any]:
    _, completed = terraform(workdir, "version", "-json")
    reported = json.loads(completed.stdout)
    return {"terraform": reported.get("terraform_version"), "providers": reported.get("provider_selections", {})}


def prepare(workdir: Path, config: dict[str, Any]) -> float:
    """Write `main.tf.json` and `terraform init` offline; the seconds init took."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "main.tf.json").write_text(json.dumps(config, indent=1))
    seconds, _ = terraform(workdir, "init", "-input=false", "-no-color", f"-plugin-dir={PLUGIN_DIR}")
    return seconds


def apply(workdir: Path) -> float:
    seconds, _ = terraform(workdir, "apply", "-auto-approve", "-input=false", "-no-color")
    return seconds


def state_count(workdir: Path) -> int:
    _, completed = terraform(workdir, "state", "list")
    return len(completed.stdout.split())


def plan(server: EmulatorProcess, workdir: Path) -> Sample:
    """One `terraform plan -detailed-exitcode` with the defaults (refresh, `-parallelism=10`); any change stops
    the benchmark."""
    command = [terraform_binary(), "plan", "-input=false", "-no-color", "-detailed-exitcode"]
    return run(server, command, env=environment(workdir), cwd=workdir)
