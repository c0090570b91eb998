"""Render pipeline specs to canonical PipelineDefinition JSON: from the cache, else in a sandboxed worker.

Called by `pipelines_for` and `smgitops render`. A render looks the spec's structure up in the disk cache
(`controller.pipelines.cache`); only on a miss does it build the template with the SageMaker SDK, and then
not in this process: `controller.pipelines.worker` runs in a child Python with no AWS credentials, no
endpoint, no SDK config files, instance metadata disabled and sockets refused, so a render is offline by
construction and the controller itself never imports the SDK. One worker per region renders every miss of a
batch. The cached structure has no parameter defaults; they are written in here, which is why a version bump
or a threshold change is a JSON edit and not a re-render.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from controller.pipelines import cache
from controller.pipelines.model import Artifact, PipelineSpec, RenderedPipeline, RenderError

WORKER_MODULE = "controller.pipelines.worker"
WORKER_TIMEOUT_SECONDS = 600
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def render(spec: PipelineSpec, *, cache_dir: Path | None = None) -> RenderedPipeline:
    return render_many([spec], cache_dir=cache_dir)[0]


def render_many(specs: Sequence[PipelineSpec], *, cache_dir: Path | None = None) -> tuple[RenderedPipeline, ...]:
    """Render every spec; all cache misses are built by one worker per region.

    What was built is cached even when another spec of the batch fails; the failures are then raised
    together, one line each.
    """
    keys = [cache.cache_key(spec) for spec in specs]
    entries: dict[str, dict[str, Any]] = {}
    misses: dict[str, PipelineSpec] = {}
    for key, spec in zip(keys, specs, strict=True):
        entry = entries.get(key) or cache.load(key, directory=cache_dir)
        if entry is None:
            misses[key] = spec
        else:
            entries[key] = entry
    built, problems = _build(misses)
    for key, entry in built.items():
        cache.store(key, entry, directory=cache_dir)
        entries[key] = entry
    if problems:
        raise RenderError("\n".join(problems))
    return tuple(fill(spec, entries[key]) for key, spec in zip(keys, specs, strict=True))


def uncached(specs: Iterable[PipelineSpec], *, cache_dir: Path | None = None) -> list[PipelineSpec]:
    """The specs a render would have to build (no SDK involved in finding out)."""
    return [spec for spec in specs if cache.load(cache.cache_key(spec), directory=cache_dir) is None]


def fill(spec: PipelineSpec, entry: dict[str, Any]) -> RenderedPipeline:
    """Write the spec's parameter defaults into a cached structure and serialise it canonically."""
    definition = copy.deepcopy(entry["definition"])
    used = {}
    for parameter in definition.get("Parameters", []):
        name = parameter["Name"]
        if name not in spec.parameters:
            raise RenderError(f"{spec.source}: {spec.template}: the template uses parameter {name}, not supplied")
        parameter["DefaultValue"] = used[name] = spec.parameters[name]
    return RenderedPipeline(
        name=spec.name,
        role=spec.role,
        template=spec.template,
        definition=canonical_json(definition),
        parameters=used,
        artifacts=tuple(Artifact(**item) for item in entry["artifacts"]),
    )


def canonical_json(document: Any) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def worker_environment(region: str) -> dict[str, str]:
    """The child's environment: ours without AWS or SageMaker settings, pinned to `region` and offline."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "SAGEMAKER_", "BOTO_"))
    }
    environment.update(
        {
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "SAGEMAKER_VALIDATE_ROLE": "false",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH")])),
        }
    )
    return environment


def _build(misses: dict[str, PipelineSpec]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    built: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for region in sorted({spec.region for spec in misses.values()}):
        batch = {key: spec for key, spec in misses.items() if spec.region == region}
        region_built, region_problems = _run_worker(region, batch)
        built.update(region_built)
        problems += region_problems
    return built, problems


def _run_worker(region: str, batch: dict[str, PipelineSpec]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    request = {"jobs": [_job(key, spec) for key, spec in batch.items()]}
    try:
        completed = subprocess.run(
            [sys.executable, "-m", WORKER_MODULE],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=worker_environment(region),
            timeout=WORKER_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {}, [f"the pipeline render worker took longer than {WORKER_TIMEOUT_SECONDS} s and was stopped"]
    except OSError as error:
        return {}, [f"the pipeline render worker could not start: {error}"]
    try:
        results = json.loads(completed.stdout)["results"]
    except (ValueError, KeyError):
        detail = _last_line(completed.stderr) or f"exit status {completed.returncode}"
        return {}, [f"the pipeline render worker failed: {detail}"]
    built, problems = {}, []
    for result in results:
        spec = batch[result["key"]]
        if "error" in result:
            problems.append(f"{spec.source}: {spec.template}: {result['error']}")
        else:
            built[result["key"]] = {"definition": result["definition"], "artifacts": result["artifacts"]}
    return built, problems


def _job(key: str, spec: PipelineSpec) -> dict[str, Any]:
    return {"key": key, **spec.structure()}


def _last_line(text: str) -> str:
    lines: Iterable[str] = (line.strip() for line in reversed(text.splitlines()))
    return next((line for line in lines if line), "")
