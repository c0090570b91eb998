"""The dashboard's pages: server-rendered HTML with inline CSS and SVG, readable without JavaScript.

`controller.service.dashboard_server` calls `fleet_page` for `/` and `deployment_page` for
`/deployments/<environment>/<model>`. The fleet page is the matrix (environments as columns, models as rows,
each cell the version with the colour of its sync state and a mark for a failed last run) and the
controller's own state; a deployment page shows its runs as a timeline, the model-quality metric of its runs
as a chart against the threshold, data-quality violations per run, versions awaiting approval, and the file
and revision that declare it. Pages reload themselves (meta refresh), request nothing from anywhere (no
scripts, fonts or images), and every value is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from controller.engine.runs import Run
from controller.engine.status import DeploymentStatus, FleetStatus
from controller.engine.status_report import (
    data_quality_cell,
    model_quality_cell,
    next_run_cell,
    run_cell,
    version_cell,
)
from controller.service.dashboard_charts import model_quality_chart, runs_timeline, violations_chart

SYNC_COLOURS = {
    "synced": "#d7f0dd",
    "pending": "#d6e6fb",
    "held": "#e6e6e6",
    "drifted": "#ffd9a8",
    "conflict": "#e8d5f5",
    "failed": "#f8c9c9",
}
"""Cell background per sync state; the legend on the page says what each means."""
SYNC_MEANINGS = {
    "synced": "live state matches git",
    "pending": "apply will change something git declares",
    "held": "changes wait (suspended, change window, prune: false)",
    "drifted": "changed outside git",
    "conflict": "a same-name object smgitops does not own",
    "failed": "a plan error",
}
STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d1d1d}
h1{font-size:1.4em;margin:0 0 .2em} h2{font-size:1.1em;margin:1.4em 0 .4em}
table{border-collapse:collapse} th,td{padding:.35em .6em;border:1px solid #ccc;text-align:left;vertical-align:top}
th{background:#f4f4f4} .muted{color:#666} .bad{color:#b00020;font-weight:600} .ok{color:#1b6e2e}
td.cell a{display:block;color:inherit;text-decoration:none} td.cell .version{font-size:1.3em;font-weight:600}
td.cell.run-failed{box-shadow:inset 4px 0 0 #b00020} .legend span{display:inline-block;padding:.1em .5em;margin:.1em}
code{background:#f4f4f4;padding:0 .2em} svg{background:#fff;border:1px solid #ddd}
"""


@dataclass(frozen=True)
class ControllerView:
    """What the running controller knows about itself; None on `smgitops status --serve`."""

    lease: str
    applied_revision: str | None
    last_reconcile: datetime | None
    last_outcome: str | None
    rejected: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(revision, problem lines) of commits whose files did not validate, newest first."""


def fleet_page(
    status: FleetStatus | None, *, controller: ControllerView | None, refresh: int, error: str | None = None
) -> str:
    body = ["<h1>smgitops</h1>"]
    if status is None:
        body.append(f"<p>Reading live state… {_error(error)}</p>")
        return _page("smgitops", body, refresh=refresh)
    body.append(
        f'<p class="muted">git revision <code>{escape(status.revision)}</code>; live state read '
        f"{_when(status.generated_at)}. {_error(error)}</p>"
    )
    body += _matrix(status)
    body += _legend()
    body += _controller(controller)
    if status.errors:
        body += ["<h2>Plan errors</h2>", "<ul>", *(f"<li><code>{escape(line)}</code></li>" for line in status.errors),
                 "</ul>"]
    return _page("smgitops fleet", body, refresh=refresh)


def deployment_page(deployment: DeploymentStatus, *, revision: str, now: datetime, refresh: int) -> str:
    name = f"{deployment.environment}/{deployment.model}"
    runs = deployment.batch.runs
    body = [
        '<p><a href="/">← fleet</a></p>',
        f"<h1>{escape(name)}</h1>",
        f'<p>Declared in <code>{escape(deployment.source)}</code> at revision <code>{escape(revision)}</code>.</p>',
        "<table>",
        _row("version (git / live / registry)",
             f"{deployment.declared_version} / {_text(deployment.live_version)} / {_text(deployment.registry_status)}"),
        _row("sync", f'<span id="sync">{escape(deployment.sync)}</span>'
             + "".join(f"<br><code>{escape(reason)}</code>" for reason in deployment.sync_reasons)),
        _row("awaiting approval", ", ".join(f"version {number}" for number in deployment.pending_versions) or "none"),
        _row("next batch inference", escape(next_run_cell(deployment.batch))),
        _row("schedule", f"<code>{_text(deployment.batch.schedule)}</code> {escape(deployment.batch.timezone)}"),
        "</table>",
        "<h2>Model quality of the last runs</h2>",
        model_quality_chart(runs),
        "<h2>Data quality violations per run</h2>",
        violations_chart(runs, limit=deployment.max_violations),
        "<h2>Runs</h2>",
        runs_timeline(runs),
        *_runs_table(runs, now),
    ]
    if deployment.training is not None:
        body += [f"<h2>Training: <code>{escape(deployment.training.pipeline)}</code></h2>",
                 *_runs_table(deployment.training.runs, now, verdicts=False)]
    if deployment.problems:
        body += ["<h2>Problems</h2>", "<ul>", *(f"<li>{escape(line)}</li>" for line in deployment.problems), "</ul>"]
    body += ["<h2>Last changes smgitops made</h2>", "<table>",
             "<tr><th>object</th><th>revision</th><th>changed</th></tr>"]
    body += [f"<tr><td>{escape(change.what)}</td><td><code>{_text(change.revision)}</code></td>"
             f"<td>{_when(change.at)}</td></tr>" for change in deployment.last_changes]
    body.append("</table>")
    return _page(f"smgitops {name}", body, refresh=refresh)


def _matrix(status: FleetStatus) -> list[str]:
    models = sorted({deployment.model for deployment in status.deployments})
    lines = ['<h2>Fleet</h2>', '<table id="matrix">', "<tr><th>model</th>"]
    lines += [f"<th>{escape(environment)}</th>" for environment in status.environments]
    lines.append("</tr>")
    for model in models:
        lines.append(f"<tr><th>{escape(model)}</th>")
        for environment in status.environments:
            deployment = status.find(environment, model)
            lines.append(_cell(deployment) if deployment else '<td class="muted">-</td>')
        lines.append("</tr>")
    lines.append("</table>")
    return lines


def _cell(deployment: DeploymentStatus) -> str:
    run = deployment.last_run
    failed = run is not None and run.status == "Failed"
    classes = f"cell sync-{deployment.sync}" + (" run-failed" if failed else "")
    colour = SYNC_COLOURS[deployment.sync]
    quality = model_quality_cell(run.model_quality) if run and run.model_quality else ""
    last = f"last run {escape(run.status)}" if run else "no runs"
    return (
        f'<td id="cell-{escape(deployment.environment)}-{escape(deployment.model)}" class="{classes}" '
        f'data-sync="{deployment.sync}" style="background:{colour}">'
        f'<a href="/deployments/{escape(deployment.environment)}/{escape(deployment.model)}">'
        f'<span class="version">{escape(version_cell(deployment))}</span> <span>{escape(deployment.sync)}</span><br>'
        f'<span class="{"bad" if failed else "muted"}">{last}</span>'
        + (f'<br><span class="{"bad" if "FAILED" in quality else "muted"}">{escape(quality)}</span>' if quality else "")
        + "</a></td>"
    )


def _legend() -> list[str]:
    items = [f'<span style="background:{SYNC_COLOURS[state]}">{state}: {escape(meaning)}</span>'
             for state, meaning in SYNC_MEANINGS.items()]
    return ['<p class="legend">', *items, '<span style="box-shadow:inset 4px 0 0 #b00020">last run failed</span></p>']


def _controller(controller: ControllerView | None) -> list[str]:
    lines = ["<h2>Controller</h2>"]
    if controller is None:
        return [*lines, '<p class="muted">A read-only view (<code>smgitops status --serve</code>); no controller '
                        "runs here.</p>"]
    lines += [
        '<table id="controller">',
        _row("lease", escape(controller.lease)),
        _row("applied revision", f"<code>{_text(controller.applied_revision)}</code>"),
        _row("last reconcile", f"{_when(controller.last_reconcile)} {_text(controller.last_outcome)}"),
        "</table>",
    ]
    for revision, problems in controller.rejected:
        lines.append(f'<p class="bad">Rejected commit <code>{escape(revision)}</code>: its files do not validate</p>')
        lines += ["<ul>", *(f"<li><code>{escape(problem)}</code></li>" for problem in problems), "</ul>"]
    return lines


def _runs_table(runs: Sequence[Run], now: datetime, *, verdicts: bool = True) -> list[str]:
    if not runs:
        return ['<p class="muted">No runs yet.</p>']
    header = "<tr><th>run</th><th>data quality</th><th>model quality</th><th>failure reason</th></tr>"
    if not verdicts:
        header = "<tr><th>run</th><th>failure reason</th></tr>"
    lines = ['<table class="runs">', header]
    for run in runs:
        cells = [escape(run_cell(run, now))]
        if verdicts:
            cells += [escape(data_quality_cell(run.data_quality)), escape(model_quality_cell(run.model_quality))]
        cells.append(f'<span class="bad">{escape(run.failure_reason)}</span>' if run.failure_reason else "")
        lines.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    lines.append("</table>")
    return lines


def _page(title: str, body: list[str], *, refresh: int) -> str:
    return "\n".join([
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="refresh" content="{int(refresh)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        *body,
        f'<p class="muted">This page reloads itself every {int(refresh)} s. Read-only. '
        '<a href="/api/status">/api/status</a> (JSON)</p>',
        "</body></html>",
    ]) + "\n"


def _row(label: str, value: str) -> str:
    return f"<tr><th>{escape(label)}</th><td>{value}</td></tr>"


def _text(value: object) -> str:
    return "-" if value is None else escape(str(value))


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else escape(f"{moment:%Y-%m-%d %H:%M} {moment.tzinfo}")


def _error(error: str | None) -> str:
    return f'<span class="bad">Last read failed: {escape(error)}</span>' if error else ""
