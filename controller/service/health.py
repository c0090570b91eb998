"""HTTP endpoints of the long-running controller: `/healthz`, `/readyz`, `/shards` and Prometheus `/metrics`.

The service loop owns a `ServiceState`, updates it as it fetches the source, takes or loses the lease and
finishes reconciles, and starts a `HealthServer` on it (ECS container health checks and Prometheus scrape
this). `/healthz` answers 200 while the process serves; `/readyz` answers 200 only when the controller is
doing its job, else 503 with a one-line reason; `/shards` is JSON naming the replica and the shards it holds.
A standard-library HTTP server in a daemon thread is enough; it keeps a deep listen backlog and closes
connections that stay idle, so a burst of probes or a client that never sends its request cannot starve the
checks. The same server answers the dashboard's paths (`pages`, from
`controller.service.dashboard_server`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

LeaseState = Literal["unknown", "leader", "standby"]


@dataclass
class ServiceState:
    """What readiness depends on; read and written from any thread through `update` and `readiness`."""

    source_fetched: bool = False
    """The desired state was fetched (git cloned or directory read) at least once."""
    lease_state: LeaseState = "unknown"
    """`leader` (this replica writes), `standby` (another one does) or `unknown` (not asked yet)."""
    holder: str = ""
    """This replica's name in the lease table."""
    shards: tuple[str, ...] = ()
    """The shards whose lease this replica holds (`all` when the work is not split), sorted."""
    last_reconcile_at: float | None = None
    """Unix time the last reconcile finished, whatever its outcome."""
    last_outcome: str | None = None
    """How the last reconcile ended (`in-sync`, `applied`, `apply-failed`, `plan-error`...), for the dashboard."""
    applied_revision: str | None = None
    """The revision the last full reconcile that wrote no error brought every account to."""
    rejected_commits: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(revision, problem lines) of the latest revisions rejected, newest first, for the dashboard."""
    max_staleness: float = 900.0
    """Seconds after which the leader's last reconcile is too old to call it ready."""
    rejected: str | None = None
    """Why the newest revision fetched was rejected (the last good one stays in force); None when it loaded."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def update(self, **fields: object) -> None:
        """Set some fields at once, e.g. `state.update(last_reconcile_at=time.time())`."""
        with self._lock:
            for name, value in fields.items():
                if name.startswith("_") or not hasattr(self, name):
                    raise AttributeError(f"ServiceState has no field {name}")
                setattr(self, name, value)

    def shards_json(self) -> str:
        """`/shards`: who this replica is and which shards it holds."""
        with self._lock:
            answer = {"holder": self.holder, "lease": self.lease_state, "shards": list(self.shards)}
        return json.dumps(answer, sort_keys=True) + "\n"

    def readiness(self, now: float | None = None) -> tuple[bool, str]:
        """(ready, one-line reason). A standby does not reconcile, so staleness is asked of the leader only."""
        now = time.time() if now is None else now
        with self._lock:
            fetched, lease, last, limit, rejected = (
                self.source_fetched, self.lease_state, self.last_reconcile_at, self.max_staleness, self.rejected
            )
        if rejected:
            return False, rejected
        if not fetched:
            return False, "desired state not fetched yet"
        if lease not in ("leader", "standby"):
            return False, "lease state unknown"
        if lease == "standby":
            return True, "ready: standby, another replica holds the lease"
        if last is None:
            return False, "no reconcile finished yet"
        age = now - last
        if age > limit:
            return False, f"last reconcile finished {age:.0f}s ago (more than {limit:.0f}s)"
        return True, f"ready: leader, last reconcile {age:.0f}s ago"


DEFAULT_ADDRESS = "0.0.0.0"
"""Every interface: ECS load balancers and Prometheus reach a task on its own IP, not on the loopback."""
LISTEN_BACKLOG = 128
"""Connections the kernel queues before the server accepts them (the standard library's default is 5)."""
IDLE_TIMEOUT = 10.0
"""Seconds a connection may stay silent (no request, or a request sent too slowly) before it is closed."""


class _Server(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True


class HealthServer:
    """Serves the endpoints on `host:port` (port 0 picks a free one; `.port` says which) until `stop()`."""

    def __init__(
        self,
        port: int,
        *,
        state: ServiceState | None,
        host: str = DEFAULT_ADDRESS,
        registry: CollectorRegistry | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        pages: Callable[[str], tuple[int, str, bytes] | None] | None = None,
    ) -> None:
        """`registry` is what `/metrics` serves: pass `Metrics.registry` (default: an empty registry). `pages`
        answers the other paths it knows (the dashboard's), None for the rest. With no `state` (no controller
        runs in this process) there is no `/readyz` and no `/metrics`."""
        self.state = state
        self.registry = registry if registry is not None else CollectorRegistry()
        self.pages = pages
        self._server = _Server((host, port), _handler_for(self, idle_timeout=idle_timeout))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def address(self) -> str:
        return str(self._server.server_address[0])

    def start(self) -> HealthServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="health", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> HealthServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def respond(self, path: str, accept: str | None = None) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of `path`; `accept` picks the metrics format (text 0.0.4 by
        default, OpenMetrics when Prometheus asks for it)."""
        route = path.split("?", 1)[0]
        if route == "/healthz":
            return 200, "text/plain; charset=utf-8", b"ok\n"
        page = self.pages(path) if self.pages is not None else None
        if page is not None:
            return page
        if self.state is None:
            return 404, "text/plain; charset=utf-8", b"not found\n"
        if route == "/readyz":
            ready, reason = self.state.readiness()
            return (200 if ready else 503), "text/plain; charset=utf-8", f"{reason}\n".encode()
        if route == "/shards":
            return 200, "application/json", self.state.shards_json().encode()
        if route == "/metrics":
            encode, content_type = choose_encoder(accept or "")
            return 200, content_type, encode(self.registry)
        return 404, "text/plain; charset=utf-8", b"not found: try /healthz, /readyz, /shards or /metrics\n"


def _handler_for(server: HealthServer, *, idle_timeout: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = idle_timeout  # applied to the connection's socket: a silent client is dropped, not kept

        def do_GET(self) -> None:
            self._send(include_body=True)

        def do_HEAD(self) -> None:
            self._send(include_body=False)

        def _send(self, *, include_body: bool) -> None:
            status, content_type, body = server.respond(self.path, self.headers.get("Accept"))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if include_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Probes arrive every few seconds; they are not worth a log line each."""

    return Handler
