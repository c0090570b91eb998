"""An HTTP proxy in front of the emulator that fails chosen AWS calls the way AWS does (a 500 InternalFailure, or
a 400 ThrottlingException).

The controller meets the fault exactly as it would meet AWS's: through its own clients and retry mode. Every
call is named by its operation (`PutRule`, `TagResource`, `POST /schedules/churn`) and recorded in order, so a
test can first watch an apply, then fail exactly one call of it, or every call from one point on (what AWS sees
when the process dies there), or hold one call unanswered while the test kills the process. `around` lets a
test watch the calls it forwards, or make them wait for each other.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

from controller.aws.calls import classify_operation

INTERNAL_ERROR = b'{"__type": "InternalFailure", "message": "We encountered an internal error."}'
THROTTLED = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
NOT_WRITES = {"AssumeRole", "GetCallerIdentity", "ReceiveMessage", "Publish"}


@dataclass(frozen=True)
class Call:
    operation: str
    text: str
    """The request line and body, URL-decoded: where a test looks for an object's name."""
    service: str = ""
    """The JSON protocol's service prefix of `X-Amz-Target` (`SageMaker`, `AWSEvents`), else empty."""

    @property
    def write(self) -> bool:
        if " " in self.operation:
            return not self.operation.startswith(("GET ", "HEAD "))
        return self.operation not in NOT_WRITES and classify_operation("any", self.operation) == "write"

    def concerns(self, name: str) -> bool:
        """The call names object `name` (as a whole word of an ARN, a path or a JSON string)."""
        text = self.text
        start = text.find(name)
        while start >= 0:
            before = text[start - 1] if start else " "
            after = text[start + len(name)] if start + len(name) < len(text) else " "
            if not (before.isalnum() or before == "-") and not (after.isalnum() or after == "-"):
                return True
            start = text.find(name, start + 1)
        return False


Decision = str | None
"""None forwards the call, `fail` answers it with a 500, `throttle` with AWS's 400 ThrottlingException, `hold` leaves
it unanswered until `release()`."""


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        upstream: str,
        decide: Callable[[Call], Decision] = lambda call: None,
        *,
        around: Callable[[Call], AbstractContextManager] | None = None,
    ) -> None:
        """`around(call)`, when given, is entered before a forwarded call goes upstream and left when its answer
        has been sent: a test counts the calls in flight there, or makes them wait for each other."""
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream, self.decide, self.around = upstream, decide, around
        self.calls: list[Call] = []
        self.failed: list[Call] = []
        self.held = threading.Event()
        self.released = threading.Event()
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def writes(self) -> list[Call]:
        with self.lock:
            return [call for call in self.calls if call.write]

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.released.set()
        self.shutdown()
        self.server_close()


def fail_from(first: Callable[[Call], bool]) -> Callable[[Call], Decision]:
    """Fail the first call `first` accepts and every call after it: AWS's view of a process that died there."""
    dead = threading.Event()

    def decide(call: Call) -> Decision:
        if dead.is_set() or first(call):
            dead.set()
            return "fail"
        return None

    return decide


def fail_each(chosen: Callable[[Call], bool]) -> Callable[[Call], Decision]:
    return lambda call: "fail" if chosen(call) else None


class _Handler(BaseHTTPRequestHandler):
    server: FaultProxy

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        call = _call_of(self.command, self.path, self.headers.get("X-Amz-Target"), body)
        with self.server.lock:
            self.server.calls.append(call)
            decision = self.server.decide(call)
            if decision == "fail":
                self.server.failed.append(call)
        if decision == "hold":
            self.server.held.set()
            self.server.released.wait()
            self.close_connection = True
            return
        if decision in ("fail", "throttle"):
            status, body = (500, INTERNAL_ERROR) if decision == "fail" else (400, THROTTLED)
            self._reply(status, {"Content-Type": "application/x-amz-json-1.1"}, body)
            return
        with self.server.around(call) if self.server.around else nullcontext():
            self._pass_on(body)

    def _pass_on(self, body: bytes) -> None:
        request = urllib.request.Request(
            self.server.upstream + self.path, data=body or None, method=self.command, headers=dict(self.headers)
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                self._reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            self._reply(error.code, dict(error.headers), error.read())

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    def _reply(self, status: int, headers: dict, body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def _call_of(method: str, path: str, target: str | None, body: bytes) -> Call:
    text = unquote(f"{path} {body.decode(errors='replace')}")
    if target:
        service, _, operation = target.rpartition(".")
        return Call(operation, text, service.split("_", 1)[0])
    action = parse_qs(body.decode(errors="replace")).get("Action") if method == "POST" else None
    if action:
        return Call(action[0], text)
    return Call(f"{method} {path.split('?', 1)[0]}", text)
