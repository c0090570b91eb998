"""structlog set up for the long-running controller: JSON lines for machines, a console format on a terminal.

`smgitops run` calls `configure_logging` once with the global `--log-format`/`--log-level`; every service
module then logs through `get_logger()`. The revision being applied is bound once per reconcile
(`bind_revision`) and environment and model are passed on each line that concerns one deployment, so every
line carries them where they are known. A last processor masks anything that looks like a secret: credentials
inside URLs (`https://user:token@host` → `https://***@host`, `?token=abc` → `?token=***`) and the values of
keys named like passwords, tokens or secrets, wherever they come from.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#\s]+@")
"""The user-info of a URL, up to its last `@` before the path (a password may hold an unescaped `@`)."""
QUERY_SECRET = re.compile(
    r"(?P<name>[?&;](?:[\w.-]*?(?:token|pass(?:word)?|secret|key|sig(?:nature)?|credential|auth)[\w.-]*)=)"
    r"[^&#\s\"'<>]*",
    re.IGNORECASE,
)
"""A query parameter named like a secret (`?token=`, `&private_token=`, `X-Amz-Signature=`...): its value."""
SECRET_KEY = re.compile(r"pass(word)?|secret|token|authorization|credential", re.IGNORECASE)
MASK = "***"


def redact(text: str) -> str:
    """`text` with the user-info of every URL in it, and the values of query parameters named like secrets,
    masked."""
    masked = URL_CREDENTIALS.sub(lambda found: f"{found['scheme']}{MASK}@", text)
    return QUERY_SECRET.sub(lambda found: f"{found['name']}{MASK}", masked)


def configure_logging(*, log_format: str | None, level: str = "info", stream: TextIO | None = None) -> None:
    """JSON (`json`) or human (`console`) lines on `stream` (stderr); None picks console on a terminal."""
    output = stream or sys.stderr
    chosen = log_format or ("console" if output.isatty() else "json")
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=False)
        if chosen == "json"
        else structlog.dev.ConsoleRenderer(colors=output.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _mask_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=output),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)


def bind_revision(revision: str | None) -> None:
    """Every later line of this thread carries `revision` (None removes it)."""
    if revision is None:
        structlog.contextvars.unbind_contextvars("revision")
    else:
        structlog.contextvars.bind_contextvars(revision=revision)


def _mask_secrets(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        event[key] = MASK if SECRET_KEY.search(key) and event[key] else _masked(event[key])
    return event


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: MASK if SECRET_KEY.search(str(key)) else _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value
