"""The render worker: builds templates with the SageMaker SDK in a child process, offline by construction.

`controller.pipelines.render` starts `python -m controller.pipelines.worker` with a scrubbed environment
(see `render.worker_environment`) and a JSON request on stdin; this module answers one JSON line per job on
stdout, each as soon as the job is done, so the parent keeps what was built even if it has to stop the worker.
Before importing the SDK it refuses every name lookup and socket connection and points the SDK's config
files at an empty one, so neither a template nor the SDK can reach AWS or pick up a developer's local
defaults (the SDK's telemetry, which it sends from a background thread, fails there quietly: with no
credentials and no network it cannot send anything). A failing template becomes one error line in the
answer, never a traceback.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any


class OfflineViolation(RuntimeError):
    pass


def main() -> int:
    request = json.load(sys.stdin)
    answer_stream = sys.stdout
    sys.stdout = sys.stderr  # anything the SDK prints must not corrupt the answer
    _refuse_network()
    with tempfile.TemporaryDirectory(prefix="smgitops-render-") as scratch:
        _pin_sdk_config(Path(scratch))
        for job in request["jobs"]:
            answer_stream.write(json.dumps(_render_job(job)) + "\n")
            answer_stream.flush()
    return 0


def _render_job(job: dict[str, Any]) -> dict[str, Any]:
    try:
        definition, artifacts = build_definition(job)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != "sagemaker":
            return {"key": job["key"], "error": f"ModuleNotFoundError: {error}"}
        return {"key": job["key"], "error": "the SageMaker SDK is not installed: pip install 'smgitops[pipelines]'"}
    except Exception as error:  # a team template may raise anything; report it as one line
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return {"key": job["key"], "error": f"{type(error).__name__}: {message}".rstrip(": ")}
    return {"key": job["key"], "definition": definition, "artifacts": artifacts}


def build_definition(job: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Build one pipeline; the definition comes back without parameter defaults."""
    from sagemaker.core.workflow.pipeline_context import PipelineSession
    from sagemaker.mlops.workflow.pipeline import Pipeline

    from controller.pipelines.context import TemplateContext

    template_path = Path(job["template_path"])
    sys.path.insert(0, str(template_path.parent))  # a template may import modules next to it
    try:
        module = _load_template(template_path)
        session = PipelineSession()
        context = TemplateContext(job, session=session)
        steps = list(module.build(context))
        pipeline = Pipeline(
            name=job["name"],
            parameters=context.used_parameters(),
            steps=steps,
            sagemaker_session=session,
            pipeline_experiment_config=None,
        )
        definition = json.loads(pipeline.definition())
        if len(definition.get("Parameters", [])) != len(context.used_parameters()):
            raise RuntimeError("ask for every parameter while build(context) runs, not later")
    finally:
        sys.path.remove(str(template_path.parent))
    for parameter in definition.get("Parameters", []):
        parameter.pop("DefaultValue", None)
    for step_name, field, parameter_name in context.bindings():
        _bind(definition, step_name, field, parameter_name)
    _check_name_used_whole(definition, job["name"])
    return definition, context.code_artifacts()


def _check_name_used_whole(definition: dict[str, Any], name: str) -> None:
    """The renderer writes the pipeline's name over `name` afterwards, which works only where it appears whole."""
    text = json.dumps(definition)
    if text.lower().count(name[: len(name) // 2].lower()) != text.count(name):
        raise ValueError("use context.pipeline_name whole: it is filled in after rendering, not cut or changed")


def _bind(definition: dict[str, Any], step_name: str, field: str, parameter_name: str) -> None:
    step = _find_step(definition.get("Steps", []), step_name)
    if step is None:
        raise LookupError(f"cannot bind {field} to {parameter_name}: the pipeline has no step {step_name!r}")
    *parents, leaf = field.split(".")
    target = step["Arguments"]
    for key in parents:
        target = target.get(key) if isinstance(target, dict) else None
    if not isinstance(target, dict) or leaf not in target:
        raise LookupError(f"cannot bind {field} to {parameter_name}: step {step_name} has no such field")
    target[leaf] = {"Get": f"Parameters.{parameter_name}"}


def _find_step(steps: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    for step in steps:
        if step.get("Name") == name:
            return step
        nested = []
        if step.get("Type") == "Condition":
            nested = [*step["Arguments"].get("IfSteps", []), *step["Arguments"].get("ElseSteps", [])]
        found = _find_step(nested, name)
        if found is not None:
            return found
    return None


def _load_template(path: Path):
    name = "smgitops_template_" + "".join(char if char.isalnum() else "_" for char in path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load a Python module from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "build", None)):
        raise AttributeError(f"{path.name} defines no build(context) function")
    return module


def _refuse_network() -> None:
    def refuse_connect(_socket: socket.socket, address: Any, *_args: Any) -> None:
        raise OfflineViolation(f"rendering is offline, but something tried to connect to {address}")

    def refuse_lookup(host: Any, *_args: Any, **_kwargs: Any) -> None:
        raise OfflineViolation(f"rendering is offline, but something tried to look up {host}")

    socket.socket.connect = refuse_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse_connect  # type: ignore[method-assign]
    socket.getaddrinfo = refuse_lookup  # type: ignore[assignment]


def _pin_sdk_config(scratch: Path) -> None:
    config = scratch / "config.yaml"
    config.write_text("{}\n")
    os.environ["SAGEMAKER_ADMIN_CONFIG_OVERRIDE"] = str(config)
    os.environ["SAGEMAKER_USER_CONFIG_OVERRIDE"] = str(config)


if __name__ == "__main__":
    sys.exit(main())
