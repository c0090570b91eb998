"""The disk cache of rendered pipeline structures, so the SageMaker SDK is imported only when one changed.

`controller.pipelines.render` keys entries by `cache_keys(specs)`: the sources of the template and of this
package, the installed SageMaker SDK versions and the structural part of the spec. The pipeline name and the
parameter defaults are not in the key; they are written into the cached definition on every render, so a fleet
of many models needs one entry per template shape. The sources are read and hashed once per call, not per
spec. The directory is
`$SMGITOPS_CACHE_DIR`, else `$XDG_CACHE_HOME/smgitops`, else `~/.cache/smgitops`. Entries are written
atomically, so concurrent renders (test workers, replicas sharing a volume) never see half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from controller.pipelines.model import PipelineSpec

FORMAT = 2
"""Bump when the cached entry layout or the way templates are built changes."""
SDK_DISTRIBUTIONS = ("sagemaker", "sagemaker-core", "sagemaker-mlops", "sagemaker-serve", "sagemaker-train")
PACKAGE_DIR = Path(__file__).parent


def cache_dir() -> Path:
    configured = os.environ.get("SMGITOPS_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "smgitops"


def cache_key(spec: PipelineSpec) -> str:
    return cache_keys([spec])[0]


def cache_keys(specs: Iterable[PipelineSpec]) -> list[str]:
    """The key of every spec, in order; each template directory's sources are hashed once."""
    digests: dict[str, dict[str, str]] = {}
    keys = []
    for spec in specs:
        if spec.template_path not in digests:
            digests[spec.template_path] = source_digests(Path(spec.template_path))
        material = {
            "format": FORMAT,
            "sdk": sdk_versions(),
            "sources": digests[spec.template_path],
            "structure": spec.structure(),
        }
        keys.append(hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest())
    return keys


def load(key: str, *, directory: Path | None = None) -> dict[str, Any] | None:
    """The cached entry, or None when absent, unreadable, or its artifacts' files changed since."""
    path = _entry_path(key, directory)
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if entry.get("key") != key or not all(_unchanged(item) for item in entry.get("artifacts", ())):
        return None
    return entry


def store(key: str, entry: dict[str, Any], *, directory: Path | None = None) -> None:
    path = _entry_path(key, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({**entry, "key": key}, sort_keys=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@cache
def sdk_versions() -> dict[str, str]:
    """Installed versions of the SageMaker SDK distributions, read from metadata (no import)."""
    versions = {}
    for name in SDK_DISTRIBUTIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def source_digests(template_path: Path) -> dict[str, str]:
    """sha256 of every file a render may depend on: this package and the template's own directory."""
    digests = {f"smgitops/{name}": digest for name, digest in _tree_digests(PACKAGE_DIR).items()}
    if PACKAGE_DIR not in template_path.parents:
        digests.update({f"template/{name}": digest for name, digest in _tree_digests(template_path.parent).items()})
    return digests


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree_digests(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): file_sha256(path)
        for path in sorted(root.rglob("*.py"))
        if "__pycache__" not in path.parts and path.is_file()
    }


def _unchanged(artifact: dict[str, str]) -> bool:
    try:
        return file_sha256(Path(artifact["local_path"])) == artifact["sha256"]
    except OSError:
        return False


def _entry_path(key: str, directory: Path | None) -> Path:
    return (directory or cache_dir()) / "pipelines" / key[:2] / f"{key}.json"
