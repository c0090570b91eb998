"""Render pipeline specs to canonical PipelineDefinition JSON: from the cache, else in a sandboxed worker.

Called by `pipelines_of` and `smgitops render`. A render looks the spec's structure up in the disk cache
(`controller.pipelines.cache`); only on a miss does it build the template with the SageMaker SDK, and then
not in this process: `controller.pipelines.worker` runs in a child Python with no AWS credentials, no
endpoint, no SDK config files, instance metadata disabled and sockets refused, so a render is offline by
construction and the controller itself never imports the SDK. One worker per region renders every missing
shape of a batch, once. The cached structure has neither the pipeline name (templates see a placeholder) nor
parameter defaults; both are written in here, which is why a new model of a known shape, a version bump or a
threshold change is a JSON edit and not a re-render. A shape the worker could not build (a template error, a
timeout, a crash) is an error naming the file that uses it; nothing retries it behind the caller's back.
"""

from __future__ import annotations

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
NAME_PLACEHOLDER = "smgitopsPipelineName"
"""What a template sees as `context.pipeline_name`; `fill` writes the real name over it in the definition."""
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def render(spec: PipelineSpec, *, cache_dir: Path | None = None) -> RenderedPipeline:
    return render_many([spec], cache_dir=cache_dir)[0]


def render_many(specs: Sequence[PipelineSpec], *, cache_dir: Path | None = None) -> tuple[RenderedPipeline, ...]:
    """Render every spec; each shape missing from the cache is built once, by one worker per region.

    What was built is cached even when another spec of the batch fails; the failures are then raised
    together, one line each.
    """
    keys = cache.cache_keys(specs)
    entries: dict[str, dict[str, Any]] = {}
    misses: dict[str, list[PipelineSpec]] = {}
    for key, spec in zip(keys, specs, strict=True):
        if key in misses:
            misses[key].append(spec)
        elif key not in entries:
            entry = cache.load(key, directory=cache_dir)
            if entry is None:
                misses[key] = [spec]
            else:
                entries[key] = entry
    built, problems = _build(misses)
    for key, entry in built.items():
        cache.store(key, entry, directory=cache_dir)
        entries[key] = entry
    if problems:
        raise RenderError("\n".join(problems))
    texts = {key: json.dumps(entry["definition"]) for key, entry in entries.items()}
    return tuple(fill(spec, entries[key], text=texts[key]) for key, spec in zip(keys, specs, strict=True))


def uncached(specs: Sequence[PipelineSpec], *, cache_dir: Path | None = None) -> list[PipelineSpec]:
    """The specs a render would have to build (no SDK involved in finding out)."""
    keys = cache.cache_keys(specs)
    return [spec for key, spec in zip(keys, specs, strict=True) if cache.load(key, directory=cache_dir) is None]


def fill(spec: PipelineSpec, entry: dict[str, Any], *, text: str | None = None) -> RenderedPipeline:
    """Write the spec's pipeline name and parameter defaults into a cached structure, serialised canonically.

    `text` is the entry's definition as JSON, when the caller fills many specs of one shape from it."""
    text = text if text is not None else json.dumps(entry["definition"])
    definition = json.loads(text.replace(NAME_PLACEHOLDER, spec.name))
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


def _build(misses: dict[str, list[PipelineSpec]]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    built: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for region in sorted({specs[0].region for specs in misses.values()}):
        batch = {key: specs for key, specs in misses.items() if specs[0].region == region}
        region_built, region_problems = _run_worker(region, batch)
        built.update(region_built)
        problems += region_problems
    return built, problems


def _run_worker(region: str, batch: dict[str, list[PipelineSpec]]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Build every shape of `batch` in one child; the worker answers one JSON line per shape as it goes, so
    the shapes built before a timeout or a crash are kept, and every shape not built is reported."""
    request = {"jobs": [_job(key, specs[0]) for key, specs in batch.items()]}
    failure = ""
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
        answer = completed.stdout
        if completed.returncode != 0:
            detail = _last_line(completed.stderr) or f"exit status {completed.returncode}"
            failure = f"the pipeline render worker failed: {detail}"
    except subprocess.TimeoutExpired as stopped:
        answer = stopped.stdout.decode() if isinstance(stopped.stdout, bytes) else stopped.stdout or ""
        failure = f"the pipeline render worker took longer than {WORKER_TIMEOUT_SECONDS} s and was stopped"
    except OSError as error:
        answer, failure = "", f"the pipeline render worker could not start: {error}"
    built, problems = {}, []
    results = {result.get("key"): result for result in _answers(answer)}
    for key, specs in batch.items():
        result = results.get(key, {})
        if "definition" in result:
            built[key] = {"definition": result["definition"], "artifacts": result["artifacts"]}
        elif "error" in result:
            problems.append(_problem(specs, result["error"]))
        else:
            problems.append(_problem(specs, f"not rendered: {failure or 'the render worker gave no answer'}"))
    return built, problems


def _answers(text: str) -> list[dict[str, Any]]:
    """The complete JSON lines of the worker's answer (a line cut short by a stop is left out)."""
    answers = []
    for line in text.splitlines():
        try:
            answers.append(json.loads(line))
        except ValueError:
            continue
    return [answer for answer in answers if isinstance(answer, dict)]


def _problem(specs: Sequence[PipelineSpec], message: str) -> str:
    """One line for a shape that could not be built, naming the first file that uses it."""
    first = specs[0]
    others = len({spec.source for spec in specs} - {first.source})
    also = f" (the same template shape is used by {others} more file(s))" if others else ""
    return f"{first.source}: {first.template}: {message}{also}"


def _job(key: str, spec: PipelineSpec) -> dict[str, Any]:
    return {"key": key, "name": NAME_PLACEHOLDER, **spec.structure()}


def _last_line(text: str) -> str:
    lines: Iterable[str] = (line.strip() for line in reversed(text.splitlines()))
    return next((line for line in lines if line), "")
