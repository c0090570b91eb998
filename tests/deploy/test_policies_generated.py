"""The policy files the example attaches are exactly what `smgitops permissions` writes for `desired_state/`:
regenerate them (the command below) whenever the desired state or the code's permissions change."""

from __future__ import annotations

import subprocess
import sys

from terraformrun import EXAMPLE, REPOSITORY

COMMITTED = REPOSITORY / "terraform" / EXAMPLE / "policies"


def test_committed_policies_are_what_smgitops_permissions_writes(tmp_path):
    command = [sys.executable, "-m", "controller.main", "permissions", "desired_state", "--format", "terraform"]
    subprocess.run([*command, "--out", str(tmp_path)], cwd=REPOSITORY, check=True, capture_output=True)
    written = {path.name: path.read_text() for path in tmp_path.glob("*.json")}
    committed = {path.name: path.read_text() for path in COMMITTED.glob("*.json")}
    assert sorted(committed) == sorted(written), f"regenerate: smgitops {' '.join(command[3:])} --out {COMMITTED}"
    assert committed == written, f"regenerate: smgitops {' '.join(command[3:])} --out {COMMITTED}"
