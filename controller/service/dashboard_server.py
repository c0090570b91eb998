"""The dashboard behind an HTTP port: `/`, `/deployments/<environment>/<model>` and `/api/status`.

`smgitops run` hands a `Dashboard` to its health server; `smgitops status --serve` starts one of its own
(`serve_status`). Requests never read AWS themselves: a page shows the latest `FleetStatus`, and a request
that finds it older than `refresh` seconds starts one background read (never two at once), so live state is
read at most once per `refresh` and only while someone looks. Finished runs are kept between reads
(`RunCache`). Read-only: nothing here writes, and no page shows a credential.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from controller.engine.runs import RunCache
from controller.engine.status import FleetStatus, read_status
from controller.engine.status_report import to_json
from controller.service.dashboard import ControllerView, deployment_page, fleet_page
from controller.service.health import HealthServer, ServiceState
from controller.service.logging import get_logger

log = get_logger("smgitops.dashboard")
HTML = "text/html; charset=utf-8"
Response = tuple[int, str, bytes]


class Dashboard:
    def __init__(
        self,
        read: Callable[[], FleetStatus | None],
        *,
        refresh: float = 60.0,
        controller: Callable[[], ControllerView | None] = lambda: None,
    ) -> None:
        """`read` returns a fresh status (None while there is no desired state yet); `controller` describes
        the running controller for the page, or None when there is none."""
        self._read = read
        self.refresh = refresh
        self._controller = controller
        self._lock = threading.Lock()
        self._status: FleetStatus | None = None
        self._read_at = float("-inf")
        self._error: str | None = None
        self._reading: threading.Thread | None = None

    def refresh_now(self) -> None:
        """Read live state in this thread (at start, so the first page already has it)."""
        try:
            status = self._read()
        except Exception as error:  # shown on the page and logged; the last good status stays
            with self._lock:
                self._error, self._read_at = " ".join(str(error).split()) or type(error).__name__, time.monotonic()
            log.warning("reading status failed", error=self._error)
            return
        with self._lock:
            self._status, self._error, self._read_at = status, None, time.monotonic()

    def latest(self) -> tuple[FleetStatus | None, str | None]:
        """The latest status and the last read's error; starts a background read when it is stale."""
        with self._lock:
            stale = time.monotonic() - self._read_at >= self.refresh
            if stale and (self._reading is None or not self._reading.is_alive()):
                self._reading = threading.Thread(target=self.refresh_now, name="status-read", daemon=True)
                self._reading.start()
            return self._status, self._error

    def respond(self, path: str) -> Response | None:
        """(status, content type, body) for the dashboard's paths; None for any other path."""
        route = unquote(path.split("?", 1)[0])
        if route not in ("/", "/api/status") and not route.startswith("/deployments/"):
            return None
        status, error = self.latest()
        reload_after = max(5, int(self.refresh / 2))
        if route == "/":
            page = fleet_page(status, controller=self._controller(), refresh=reload_after, error=error)
            return 200, HTML, page.encode()
        if status is None:
            return 503, "text/plain; charset=utf-8", f"no status yet{': ' + error if error else ''}\n".encode()
        if route == "/api/status":
            return 200, "application/json", to_json(status).encode()
        parts = route.removeprefix("/deployments/").strip("/").split("/")
        found = status.find(*parts) if len(parts) == 2 else None
        if found is None:
            return 404, "text/plain; charset=utf-8", f"no deployment {'/'.join(parts)}\n".encode()
        page = deployment_page(found, revision=status.revision, now=status.generated_at, refresh=reload_after)
        return 200, HTML, page.encode()


def controller_view(state: ServiceState) -> ControllerView:
    """The dashboard's view of the running controller, from the state the loop keeps."""
    last = state.last_reconcile_at
    return ControllerView(
        lease=_lease(state),
        applied_revision=state.applied_revision,
        last_reconcile=datetime.fromtimestamp(last, UTC) if last is not None else None,
        last_outcome=state.last_outcome,
        rejected=state.rejected_commits,
    )


def _lease(state: ServiceState) -> str:
    """`leader`/`standby`, and the shards held when the replicas split the work (`leader of dev, registry`)."""
    shards = [shard for shard in state.shards if shard != "all"]
    return f"{state.lease_state} of {', '.join(shards)}" if shards else state.lease_state


def status_reader(get_state: Callable[[], Any], *, clients: Any, runs: int, **selection: Any):
    """A `read` for `Dashboard`: the status of whatever desired state `get_state` returns now."""
    cache = RunCache()

    def read() -> FleetStatus | None:
        state = get_state()
        if state is None:
            return None
        return read_status(state, clients=clients, runs=runs, cache=cache, **selection)

    return read


def serve_status(state: Any, *, clients: Any, host: str, port: int, refresh: float, runs: int, **selection: Any) -> int:
    """`smgitops status --serve`: the dashboard of `state` until interrupted; exit 0, or 1 when it cannot listen."""
    import sys

    dashboard = Dashboard(status_reader(lambda: state, clients=clients, runs=runs, **selection), refresh=refresh)
    try:
        server = HealthServer(port, host=host, state=None, pages=dashboard.respond)
    except OSError as error:
        print(f"--bind {host} --port {port}: cannot listen: {error.strerror or error}", file=sys.stderr)
        return 1
    dashboard.refresh_now()
    stopping = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        with server:
            print(f"dashboard on http://{_shown(server.address)}:{server.port}/ (read-only; Ctrl-C stops it)",
                  flush=True)
            while not stopping.wait(0.5):
                pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def _shown(address: str) -> str:
    return f"[{address}]" if ":" in address else address
