"""What an AWS error means, for code that must not import botocore, and a pagination helper.

Kinds and the engine catch exceptions from client calls as plain `Exception` and ask these helpers whether the
object was missing (`is_not_found`), whether trying again may help (`classify`), and what one line to print
(`describe`). `paginate` reads every page of a list operation whether or not botocore has a paginator for it.
"""

from __future__ import annotations

from typing import Any, Literal

from botocore import xform_name
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

ErrorClass = Literal["temporary", "permanent"]

NOT_FOUND_CODES = frozenset(
    {
        "ResourceNotFound", "ResourceNotFoundException", "NotFound", "NotFoundException", "NoSuchKey",
        "NoSuchBucket", "NoSuchEntity", "NoSuchEntityException", "404", "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
    }
)
NOT_FOUND_PHRASES = ("does not exist", "not found", "cannot find", "could not find")
THROTTLE_CODES = frozenset(
    {
        "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
        "RequestThrottledException", "RequestThrottled", "RequestLimitExceeded", "SlowDown",
        "ProvisionedThroughputExceededException",
    }
)
TEMPORARY_CODES = THROTTLE_CODES | frozenset(
    {
        "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalError",
        "InternalFailure", "InternalServerError", "InternalServerException", "ServiceUnavailable",
        "ServiceUnavailableException", "ConcurrentModificationException",
    }
)


def error_code(exc: BaseException) -> str | None:
    """The AWS error code (`ThrottlingException`, `ResourceNotFound`...); None for other exceptions."""
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") or None
    return None


def http_status(exc: BaseException) -> int | None:
    if isinstance(exc, ClientError):
        return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return None


def error_message(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Message") or ""
    return str(exc)


def is_not_found(exc: BaseException) -> bool:
    """True when the call failed because the object it names does not exist."""
    code = error_code(exc)
    if code is None:
        return False
    if code in NOT_FOUND_CODES or http_status(exc) == 404:
        return True
    message = error_message(exc).lower()
    return code == "ValidationException" and any(phrase in message for phrase in NOT_FOUND_PHRASES)


def classify(exc: BaseException) -> ErrorClass:
    """`temporary` (throttling, 5xx, connection errors, timeouts: retry later) or `permanent` (the rest)."""
    if isinstance(exc, BotocoreConnectionError | HTTPClientError | ConnectionError | TimeoutError):
        return "temporary"
    if error_code(exc) in TEMPORARY_CODES:
        return "temporary"
    status = http_status(exc)
    if status is not None and status >= 500:
        return "temporary"
    return "permanent"


def describe(exc: BaseException) -> str:
    """One line for a report: `AccessDeniedException: not authorized to perform ...`."""
    code = error_code(exc)
    message = " ".join(error_message(exc).split())
    if code is None:
        return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return f"{code}: {message}" if message else code


def paginate(client: Any, operation: str, result_key: str, **kwargs: Any) -> list:
    """Every item under `result_key` across all pages of `operation` (`list_pipelines` or `ListPipelines`)."""
    method_name = xform_name(operation)
    if client.can_paginate(method_name):
        items: list = []
        for page in client.get_paginator(method_name).paginate(**kwargs):
            items.extend(page.get(result_key, []))
        return items
    return _follow_next_token(getattr(client, method_name), result_key, kwargs)


def _follow_next_token(method: Any, result_key: str, kwargs: dict[str, Any]) -> list:
    items: list = []
    next_token = None
    while True:
        page = method(**kwargs, **({"NextToken": next_token} if next_token else {}))
        items.extend(page.get(result_key, []))
        next_token = page.get("NextToken")
        if not next_token:
            return items
