"""`smgitops render [DIR] [--env E] [--model M] [--out DIR]`: the pipeline definitions git implies.

For review and CI artifacts. With --out, writes `<out>/<environment>/<pipeline>.json` (the definition,
indented) per pipeline and `<out>/manifest.json` (template, role, parameter defaults and code artifacts of
each); without it, prints one JSON object keyed by `<environment>/<pipeline>`. Output is deterministic, so
two renders of one commit are byte-identical. Needs no AWS credentials and makes no network call: rendering
is offline, and the SageMaker SDK is loaded (in a separate worker) only for templates not in the cache.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_DIR = "desired_state"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=DEFAULT_DIR, help=f"desired-state directory (default: {DEFAULT_DIR})")
    parser.add_argument("--env", action="append", dest="environments", metavar="ENV", help="only this environment")
    parser.add_argument("--model", action="append", dest="models", metavar="MODEL", help="only this model")
    parser.add_argument("--out", metavar="DIR", help="write one file per pipeline and a manifest here")


def run(args: argparse.Namespace) -> int:
    from controller.desired import load
    from controller.pipelines import RenderError, render_many, specs_for

    loaded = load(args.dir)
    if loaded.state is None:
        for problem in loaded.problems:
            print(problem, file=sys.stderr)
        return 1
    state = loaded.state
    unknown = sorted(set(args.environments or ()) - set(state.environments))
    if unknown:
        print(f"--env {unknown[0]}: no such environment in {args.dir}/environments.yaml", file=sys.stderr)
        return 1
    deployments = [
        deployment
        for deployment in state.deployments
        if (not args.environments or deployment.environment in args.environments)
        and (not args.models or deployment.model in args.models)
    ]
    try:
        pairs = [(deployment, spec) for deployment in deployments for spec in specs_for(state, deployment)]
        rendered = render_many([spec for _, spec in pairs])
    except RenderError as error:
        print(error, file=sys.stderr)
        return 1
    entries = [
        (f"{deployment.environment}/{pipeline.name}", deployment, pipeline)
        for (deployment, _), pipeline in zip(pairs, rendered, strict=True)
    ]
    if args.out is None:
        document = {key: json.loads(pipeline.definition) for key, _, pipeline in entries}
        print(json.dumps(document, indent=2, sort_keys=True))
        return 0
    _write(Path(args.out), entries)
    for key, deployment, pipeline in entries:
        print(f"{args.out}/{key}.json: {pipeline.template} pipeline from {deployment.source}")
    return 0


def _write(out: Path, entries: list) -> None:
    manifest = []
    for key, deployment, pipeline in entries:
        path = out / f"{key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(json.loads(pipeline.definition), indent=2, sort_keys=True) + "\n")
        manifest.append(
            {
                "file": f"{key}.json",
                "pipeline": pipeline.name,
                "environment": deployment.environment,
                "source": deployment.source,
                "template": pipeline.template,
                "role": pipeline.role,
                "parameters": dict(pipeline.parameters),
                "artifacts": [{"s3_uri": item.s3_uri, "sha256": item.sha256} for item in pipeline.artifacts],
            }
        )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
