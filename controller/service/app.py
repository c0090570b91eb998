"""Assemble the running controller from its `Settings`: source, clients, health server, metrics, notifier,
and the proposer when GitLab is configured.

`smgitops run` calls `serve(settings)` after configuring logging; the health server also serves the dashboard,
which reads live state with clients of its own; it installs the SIGTERM/SIGINT handlers,
runs `Controller.run()` and returns its exit code. The reconciles get one `Clients` (the calls counted, metered
and reported as the controller's work); the lease and the event queue get another, so their steady renewals
and polls never blur that count.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from controller.aws.clients import Clients
from controller.gitlab import ProjectRef
from controller.service.dashboard_server import Dashboard, controller_view, status_reader
from controller.service.health import HealthServer, ServiceState
from controller.service.logging import get_logger, redact
from controller.service.loop import Controller
from controller.service.metrics import Metrics
from controller.service.notify import Notifier
from controller.service.proposals import Proposer
from controller.service.settings import Settings
from controller.service.source import DirectorySource, GitSource, Source, looks_like_git_url

log = get_logger("smgitops.controller")


def make_source(settings: Settings, *, stopping: threading.Event) -> Source:
    if looks_like_git_url(settings.source):
        return GitSource(
            settings.source,
            branch=settings.branch,
            path=settings.path,
            workdir=settings.workdir,
            cancelled=stopping.is_set,
        )
    return DirectorySource(settings.source)


def serve(settings: Settings) -> int:
    stopping = threading.Event()
    clients = Clients(endpoint_url=settings.endpoint_url, calls_per_second_per_account=settings.calls_per_second)
    infra_clients = Clients(endpoint_url=settings.endpoint_url, calls_per_second_per_account=None)
    status = ServiceState(max_staleness=max(900.0, 3 * settings.resync))
    metrics = Metrics()
    controller = Controller(
        settings,
        source=make_source(settings, stopping=stopping),
        clients=clients,
        infra_clients=infra_clients,
        status=status,
        metrics=metrics,
        notifier=Notifier(clients),
        proposer=_proposer(settings, clients=clients),
        stopping=stopping,
    )
    status_clients = Clients(endpoint_url=settings.endpoint_url, calls_per_second_per_account=settings.calls_per_second)
    dashboard = Dashboard(
        status_reader(lambda: controller.state, clients=status_clients, runs=settings.dashboard_runs),
        refresh=settings.dashboard_refresh,
        controller=lambda: controller_view(status),
    )
    health = _start_health(settings, status=status, metrics=metrics, pages=dashboard.respond)
    previous = _on_signals(controller)
    try:
        return controller.run()
    except Exception:  # a bug: say so in the log, with its traceback, and let the orchestrator restart us
        log.exception("the controller stopped on an unexpected error")
        return 1
    finally:
        _restore_signals(previous)
        if health is not None:
            health.stop()
        status_clients.close()


def _proposer(settings: Settings, *, clients: Clients) -> Proposer | None:
    """Proposals when GitLab is configured: into the branch the controller follows (git sources)."""
    if not settings.gitlab_url or not settings.gitlab_project:
        return None
    project = ProjectRef(settings.gitlab_url, settings.gitlab_project, settings.gitlab_token)
    branch = settings.branch if looks_like_git_url(settings.source) else None
    log.info("proposals on", gitlab=settings.gitlab_url, project=settings.gitlab_project, branch=branch)
    return Proposer(project, directory=settings.path, target_branch=branch, clients=clients)


def _start_health(settings: Settings, *, status: ServiceState, metrics: Metrics, pages) -> HealthServer | None:
    if settings.health_port is None:
        return None
    try:
        health = HealthServer(
            settings.health_port, state=status, host=settings.health_address, registry=metrics.registry, pages=pages
        ).start()
    except OSError as error:
        log.error(
            "health server not started",
            address=settings.health_address, port=settings.health_port, error=redact(str(error)),
        )
        return None
    log.info("health server", address=health.address, port=health.port)
    return health


def _on_signals(controller: Controller) -> dict[int, Any]:
    def stop(signal_number: int, _frame: Any) -> None:
        controller.stop()

    previous = {}
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        previous[signal_number] = signal.signal(signal_number, stop)
    return previous


def _restore_signals(previous: dict[int, Any]) -> None:
    for signal_number, handler in previous.items():
        signal.signal(signal_number, handler)
