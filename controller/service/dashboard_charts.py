"""Inline SVG charts of a deployment's runs, for the dashboard: no script, no library, no request.

`controller.service.dashboard` embeds three: the model-quality metric of the last runs against its threshold
line (`model_quality_chart`), data-quality violations per run against `maxViolations` (`violations_chart`)
and the runs on a time line coloured by outcome (`runs_timeline`). Runs come newest first, as the status
model holds them; charts read left to right, oldest first. Every point and bar has a `<title>` tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from controller.engine.runs import Run

WIDTH, HEIGHT, MARGIN = 640, 180, 40
PASSED, FAILED, NEUTRAL, LIMIT = "#1b6e2e", "#b00020", "#5f6b7a", "#b00020"
STATUS_COLOURS = {"Succeeded": PASSED, "Failed": FAILED, "Executing": "#1f5fbf", "Stopped": NEUTRAL}


def model_quality_chart(runs: Sequence[Run]) -> str:
    measured = [run for run in reversed(runs) if run.model_quality is not None]
    if not measured:
        return '<p class="muted">No model quality reports (no ground truth, or no run got that far).</p>'
    verdicts = [run.model_quality for run in measured]
    bound = next((value for value in (verdicts[-1].max, verdicts[-1].min) if value is not None), None)
    values = [verdict.value for verdict in verdicts] + ([bound] if bound is not None else [])
    scale = _scale(min(values), max(values))
    parts = [_svg_open("mq-chart", f"{verdicts[-1].metric} of the last {len(measured)} runs")]
    if bound is not None:
        y = scale(bound)
        which = "max" if verdicts[-1].max is not None else "min"
        parts += [
            f'<line class="threshold" x1="{MARGIN}" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}" stroke="{LIMIT}" '
            'stroke-dasharray="6 4"/>',
            f'<text x="{WIDTH - 10}" y="{y - 4:.1f}" text-anchor="end" fill="{LIMIT}">{which} {bound:g}</text>',
        ]
    points = [(_x(index, len(measured)), scale(verdict.value)) for index, verdict in enumerate(verdicts)]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{NEUTRAL}" stroke-width="1.5"/>')
    for (x, y), run, verdict in zip(points, measured, verdicts, strict=True):
        state = "passed" if verdict.passed else "failed"
        colour = PASSED if verdict.passed else FAILED
        label = f"{_day(run)}: {verdict.metric} {verdict.value:.4g} ({state})"
        parts.append(
            f'<circle class="point {state}" data-value="{verdict.value:g}" cx="{x:.1f}" cy="{y:.1f}" r="5" '
            f'fill="{colour}"><title>{escape(label)}</title></circle>'
        )
    low, high = min(verdict.value for verdict in verdicts), max(verdict.value for verdict in verdicts)
    parts += [
        f'<text x="{MARGIN - 4}" y="{scale(high) + 4:.1f}" text-anchor="end">{high:.3g}</text>',
        f'<text x="{MARGIN - 4}" y="{scale(low) + 4:.1f}" text-anchor="end">{low:.3g}</text>' if low != high else "",
        *_axis_labels(measured),
        "</svg>",
    ]
    return "".join(parts)


def violations_chart(runs: Sequence[Run], *, limit: int) -> str:
    checked = [run for run in reversed(runs) if run.data_quality is not None]
    if not checked:
        return '<p class="muted">No data quality verdicts yet.</p>'
    counts = [run.data_quality.violations for run in checked]
    top = max([*counts, limit, 1])
    scale = _scale(0, top, padding=0)
    parts = [_svg_open("dq-chart", f"data quality violations per run (at most {limit} allowed)")]
    step = (WIDTH - MARGIN - 10) / len(checked)
    for index, (run, count) in enumerate(zip(checked, counts, strict=True)):
        x, y = MARGIN + index * step + step * 0.2, min(scale(count), HEIGHT - MARGIN - 2)  # 0 stays visible
        colour = PASSED if count <= limit else FAILED
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step * 0.6:.1f}" height="{HEIGHT - MARGIN - y:.1f}" '
            f'fill="{colour}"><title>{escape(f"{_day(run)}: {count} violations")}</title></rect>'
        )
    y = scale(limit)
    parts += [
        f'<line class="threshold" x1="{MARGIN}" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}" stroke="{LIMIT}" '
        'stroke-dasharray="6 4"/>',
        f'<text x="{WIDTH - 10}" y="{y - 4:.1f}" text-anchor="end" fill="{LIMIT}">maxViolations {limit}</text>',
        *_axis_labels(checked),
        "</svg>",
    ]
    return "".join(parts)


def runs_timeline(runs: Sequence[Run]) -> str:
    timed = [run for run in reversed(runs) if run.started is not None]
    if not timed:
        return '<p class="muted">No runs yet.</p>'
    first = timed[0].started
    last = max((run.ended or run.started) for run in timed)
    span = max((last - first).total_seconds(), 1.0)
    width = WIDTH - MARGIN - 10
    parts = [_svg_open("timeline", "runs over time", height=70)]
    for run in timed:
        end = run.ended or run.started
        x = MARGIN + (run.started - first).total_seconds() / span * width
        length = max(6.0, (end - run.started).total_seconds() / span * width)
        colour = STATUS_COLOURS.get(run.status, NEUTRAL)
        label = f"{_day(run)} {run.status}" + (f": {run.failure_reason}" if run.failure_reason else "")
        parts.append(
            f'<rect class="run {escape(run.status.lower())}" x="{x:.1f}" y="15" width="{length:.1f}" height="22" '
            f'fill="{colour}"><title>{escape(label)}</title></rect>'
        )
    parts += [
        f'<text x="{MARGIN}" y="60">{escape(f"{first:%Y-%m-%d %H:%M}")}</text>',
        f'<text x="{WIDTH - 10}" y="60" text-anchor="end">{escape(f"{last:%Y-%m-%d %H:%M} UTC")}</text>',
        "</svg>",
    ]
    return "".join(parts)


def _svg_open(identifier: str, title: str, *, height: int = HEIGHT) -> str:
    return (
        f'<svg id="{identifier}" xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-size="11"><title>{escape(title)}</title>'
    )


def _scale(low: float, high: float, *, padding: float = 0.1):
    """Value → y pixel: `high` near the top, `low` near the bottom, with some room around both."""
    room = (high - low) * padding or abs(high) * 0.1 or 1.0
    bottom, top = low - room if padding else low, high + room

    def y(value: float) -> float:
        return 10 + (top - value) / (top - bottom) * (HEIGHT - MARGIN - 10)

    return y


def _x(index: int, count: int) -> float:
    if count == 1:
        return (MARGIN + WIDTH - 10) / 2
    return MARGIN + 10 + index * (WIDTH - MARGIN - 30) / (count - 1)


def _axis_labels(runs: Sequence[Run]) -> list[str]:
    """The first and the last run's day under the chart."""
    first, last = runs[0], runs[-1]
    return [
        f'<text x="{MARGIN}" y="{HEIGHT - 12}">{escape(_day(first))}</text>',
        f'<text x="{WIDTH - 10}" y="{HEIGHT - 12}" text-anchor="end">{escape(_day(last))}</text>',
    ]


def _day(run: Run) -> str:
    return f"{run.started:%Y-%m-%d %H:%M}" if run.started else "?"
