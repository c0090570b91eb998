"""Where the controller reads the desired state: a local directory, or a git branch cloned once and fetched.

The loop calls `fetch()` every interval and gets a `Checkout`: the revision to record (the commit) and the
directory holding `environments.yaml` at that revision. A git source keeps a bare clone and one worktree per
commit it was asked for; the loop calls `keep(checkout)` once a commit validated, which removes every other
worktree, so the files of the last good commit stay on disk while a broken newer commit is rejected. Git runs
through its CLI. Credentials come from the environment (`SMGITOPS_GIT_USERNAME`, `SMGITOPS_GIT_PASSWORD`, for
example a GitLab deploy token) through a credential helper that reads them when git asks, so they never
appear in a URL, a command line or a log line; URLs and git's own messages are shown with credentials masked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from controller.desired.revision import content_hash, revision_of
from controller.service.logging import redact

GIT_TIMEOUT = 120.0
USERNAME_VARIABLE = "SMGITOPS_GIT_USERNAME"
PASSWORD_VARIABLE = "SMGITOPS_GIT_PASSWORD"
CREDENTIAL_HELPER = (
    f'!f() {{ test "$1" = get || exit 0; echo "username=${{{USERNAME_VARIABLE}}}"; '
    f'echo "password=${{{PASSWORD_VARIABLE}}}"; }}; f'
)


class SourceError(Exception):
    """Fetching failed (network, authentication, no such branch); the message is safe to log."""


@dataclass(frozen=True)
class Checkout:
    revision: str
    """What ownership tags and approval records carry: the commit (12 hex digits) or the directory's revision."""
    root: Path
    """The desired-state directory at that revision."""
    fingerprint: str
    """Changes whenever the files may have changed; the loop reloads only then."""
    label: str = "."
    """How to show `root` in messages: the directory as given, or the path inside the repository."""

    def shown_in(self, text: str) -> str:
        """`text` with every path under `root` written as `shown` writes it."""
        label = os.path.normpath(self.label)
        return text.replace(f"{self.root}/", "" if label == "." else f"{label}/")

    def shown(self, path: str) -> str:
        """`path` (under `root`) as the user knows it: `desired_state/prod/churn.yaml`, not a temporary path."""
        try:
            relative = Path(path).resolve().relative_to(self.root.resolve())
        except ValueError:
            return path
        return os.path.normpath(os.path.join(self.label, relative))


class Source(Protocol):
    description: str

    def fetch(self) -> Checkout: ...

    def keep(self, checkout: Checkout) -> None: ...

    def close(self) -> None: ...


def looks_like_git_url(text: str) -> bool:
    return "://" in text or text.startswith("git@") or text.endswith(".git")


class DirectorySource:
    """A directory on disk (a checkout kept current by something else, or a mounted volume)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.description = str(self.path)

    def fetch(self) -> Checkout:
        if not (self.path / "environments.yaml").is_file():
            raise SourceError(f"{self.path}: no environments.yaml here")
        revision = revision_of(self.path)
        return Checkout(revision, self.path, f"{revision}:{content_hash(self.path)}", str(self.path))

    def keep(self, checkout: Checkout) -> None:
        """Nothing to clean up: the directory is not ours."""

    def close(self) -> None:
        """Nothing to clean up."""


class GitSource:
    """A branch of a git repository, fetched into `workdir` (a bare clone plus one worktree per commit).

    Without `workdir`, a new temporary directory is used and removed by `close()`."""

    def __init__(
        self,
        url: str,
        *,
        branch: str,
        path: str,
        workdir: Path | None = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        self.url = url
        self.branch = branch
        self.path = path
        self._owns_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="smgitops-source-"))
        self.description = f"{redact(url)}#{branch}:{path}"
        self._cancelled = cancelled
        self._repository = self.workdir / "repository.git"
        self._worktrees = self.workdir / "checkouts"
        self._last: Checkout | None = None

    def fetch(self) -> Checkout:
        if not (self._repository / "HEAD").is_file():
            self._clone()
        else:
            self._git("fetch", "--depth=1", "--quiet", "origin", f"+refs/heads/{self.branch}:refs/heads/{self.branch}")
        commit = self._git("rev-parse", f"refs/heads/{self.branch}").strip()
        if self._last is not None and self._last.fingerprint == commit:
            return self._last
        tree = self._worktrees / commit[:12]
        if not (tree / ".git").exists():
            shutil.rmtree(tree, ignore_errors=True)
            self._git("worktree", "add", "--detach", "--force", str(tree), commit)
        self._last = Checkout(commit[:12], tree / self.path, commit, self.path)
        return self._last

    def keep(self, checkout: Checkout) -> None:
        """Remove every worktree except the one `checkout` lives in (a commit fetched again is not checked
        out again: the loop has seen it)."""
        if not self._worktrees.is_dir():
            return
        for tree in self._worktrees.iterdir():
            if tree.name != checkout.fingerprint[:12]:
                shutil.rmtree(tree, ignore_errors=True)
        self._git("worktree", "prune")

    def close(self) -> None:
        """Remove the work directory when it was made for this source."""
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _clone(self) -> None:
        shutil.rmtree(self._repository, ignore_errors=True)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._git(
            "clone", "--bare", "--depth=1", "--single-branch", "--branch", self.branch, "--quiet", "--",
            self.url, str(self._repository), inside=False,
        )

    def _git(self, *arguments: str, inside: bool = True) -> str:
        command = ["git", *credential_options()]
        if inside:
            command += ["--git-dir", str(self._repository)]
        return run_git([*command, *arguments], cancelled=self._cancelled)


def credential_options() -> list[str]:
    """git options that answer credential requests from the environment, when a password is set there."""
    if not os.environ.get(PASSWORD_VARIABLE):
        return []
    return ["-c", "credential.helper=", "-c", f"credential.helper={CREDENTIAL_HELPER}"]


def run_git(command: list[str], *, cancelled: Callable[[], bool], timeout: float = GIT_TIMEOUT) -> str:
    """Run git; its stdout, or SourceError with its (masked) complaint. Stops early when `cancelled()`."""
    environment = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
        )
    except OSError as error:
        raise SourceError(f"cannot run git: {error}") from None
    deadline = time.monotonic() + timeout
    while True:
        try:
            stdout, stderr = process.communicate(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            if cancelled() or time.monotonic() > deadline:
                process.kill()
                process.communicate()
                raise SourceError(f"git {command_name(command)}: stopped") from None
    if process.returncode != 0:
        complaint = " ".join(redact(stderr).split()) or f"exit code {process.returncode}"
        raise SourceError(f"git {command_name(command)} failed: {complaint}")
    return stdout


def command_name(command: list[str]) -> str:
    """The git sub-command (`clone`, `fetch`...) of a full command line, without anything secret."""
    skip_next = False
    for part in command[1:]:
        if skip_next:
            skip_next = False
        elif part in ("-c", "--git-dir"):
            skip_next = True
        elif not part.startswith("-"):
            return part
    return "?"
