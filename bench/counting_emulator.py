"""The emulator both tools talk to, in its own process, counting every HTTP request that reaches it.

`plan_vs_terraform.py` runs this file as a child process (`EmulatorProcess`), so the emulator's Python threads
never compete with an in-process smgitops plan for the interpreter lock, just as they never compete with
Terraform. The child starts `controller.aws.emulator.Emulator` (moto's server on 127.0.0.1) and wraps its WSGI
application in `CountingApp`: one counter per (caller, service, operation), where the caller is `terraform` or
`smgitops` from the User-Agent, the service comes from the SigV4 credential scope and the operation from
X-Amz-Target, the query-protocol `Action`, or the REST path. `GET /_bench/requests` returns the counters as
JSON; the parent takes one reading before and one after a plan. `POST /_bench/latency?seconds=0.05` makes every
later request wait that long before moto answers it (in its own server thread, so waits overlap as on AWS),
which is how the benchmark gives the emulator the latency of a real API.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

COUNTS_PATH = "/_bench/requests"
LATENCY_PATH = "/_bench/latency"
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/(?P<service>[^/]+)/aws4_request")
SCHEDULER_OPERATIONS = {
    ("GET", "schedules", False): "ListSchedules",
    ("GET", "schedules", True): "GetSchedule",
    ("POST", "schedules", True): "CreateSchedule",
    ("PUT", "schedules", True): "UpdateSchedule",
    ("DELETE", "schedules", True): "DeleteSchedule",
    ("GET", "schedule-groups", False): "ListScheduleGroups",
    ("GET", "schedule-groups", True): "GetScheduleGroup",
    ("POST", "schedule-groups", True): "CreateScheduleGroup",
    ("DELETE", "schedule-groups", True): "DeleteScheduleGroup",
    ("GET", "tags", True): "ListTagsForResource",
    ("POST", "tags", True): "TagResource",
    ("DELETE", "tags", True): "UntagResource",
}


class CountingApp:
    """WSGI middleware: count the request, then hand it to moto unchanged."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self.counts: Counter[str] = Counter()
        self.latency = 0.0
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == COUNTS_PATH:
            with self.lock:
                return _json_reply(start_response, dict(self.counts))
        if environ.get("PATH_INFO") == LATENCY_PATH:
            self.latency = float(parse_qs(environ.get("QUERY_STRING", ""))["seconds"][0])
            return _json_reply(start_response, {"seconds": self.latency})
        key = request_key(environ)
        with self.lock:
            self.counts[key] += 1
        if self.latency:
            time.sleep(self.latency)
        return self.app(environ, start_response)


def _json_reply(start_response: Callable, document: Any) -> list[bytes]:
    body = json.dumps(document).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def request_key(environ: dict[str, Any]) -> str:
    """`caller service:Operation` for one request (reading a form body leaves it in place for moto)."""
    agent = environ.get("HTTP_USER_AGENT", "")
    caller = "terraform" if "Terraform" in agent else "smgitops" if "Botocore" in agent else "other"
    found = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = found["service"] if found else "none"
    return f"{caller} {service}:{_operation(environ, service)}"


def _operation(environ: dict[str, Any], service: str) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action") or _form_action(environ)
    if action:
        return action[0]
    method = environ.get("REQUEST_METHOD", "GET")
    segments = [part for part in environ.get("PATH_INFO", "/").split("/") if part]
    if service == "scheduler" and segments:
        return SCHEDULER_OPERATIONS.get((method, segments[0], len(segments) > 1), f"{method} /{segments[0]}")
    if service == "s3":
        return f"{method} {'object' if len(segments) > 1 else 'bucket'}"
    return f"{method} /{segments[0] if segments else ''}"


def _form_action(environ: dict[str, Any]) -> list[str]:
    if "x-www-form-urlencoded" not in environ.get("CONTENT_TYPE", ""):
        return []
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return parse_qs(body.decode("utf-8", "replace")).get("Action", [])


class EmulatorProcess:
    """Runs this file as a child process; `url` is where the emulator listens. Use as a context manager."""

    def __init__(self) -> None:
        self.url = ""
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> EmulatorProcess:
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.url = self._process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            raise RuntimeError(f"the emulator did not start: {self.url!r}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._process is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)

    def counts(self) -> Counter[str]:
        with urllib.request.urlopen(self.url + COUNTS_PATH, timeout=30) as response:
            return Counter(json.load(response))

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the emulator process has used so far (Linux: from /proc)."""
        assert self._process is not None
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def set_latency(self, seconds: float) -> None:
        """Delay every later request by `seconds` (0: answer at once)."""
        request = urllib.request.Request(f"{self.url}{LATENCY_PATH}?seconds={seconds}", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def reset(self) -> None:
        """Forget every resource in every account (moto's reset API; not counted as a tool's request)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


def serve() -> None:
    """Child process: start the emulator, wrap it, print its URL, and run until stdin closes."""
    from controller.aws.emulator import Emulator

    with Emulator() as emulator:
        # Emulator keeps moto's ThreadedMotoServer in `_server`, whose werkzeug server is `_server`; werkzeug
        # calls `server.app` for every request, so wrapping it there sees every request moto answers.
        werkzeug_server = emulator._server._server
        werkzeug_server.app = CountingApp(werkzeug_server.app)
        print(emulator.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    serve()
