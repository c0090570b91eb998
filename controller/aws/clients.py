"""Boto3 clients per (account, region, service, role): AssumeRole, retries, throttling, endpoint override.

Kinds, the engine and the service ask `Clients.client(service, target)` for a client whenever they need one;
the first call creates it (under a lock, since boto3 sessions are not thread-safe) and every later call, from
any thread, shares it. Credentials for a target's role come from STS AssumeRole made with the base session's
credentials and are refreshed by botocore before they expire. Every API call passes through botocore events
that count it (`Clients.calls`) and, when a hard cap is set, take a token from the account's rate limiter.

Throttling is handled as the AWS SDKs do: botocore's adaptive retry mode sends at full speed until AWS answers
ThrottlingException, then slows that client (one account and service) down and speeds it up again as calls
succeed. Reads of many objects of one scope go through `Clients.map`: a bounded pool per account, so a fleet
uses the latency of the API without starting a thread per object.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, Protocol, TypeVar

import boto3
import botocore.session
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, DeferredRefreshableCredentials

from controller.aws.calls import CallCounter
from controller.aws.errors import THROTTLE_CODES
from controller.aws.once import OncePerApply
from controller.aws.ratelimit import AccountLimiter

SESSION_NAME = "smgitops"
Item = TypeVar("Item")
Result = TypeVar("Result")
_pool_thread = threading.local()
"""`account` is set in the threads of an account's pool, so a nested `map` runs inline instead of waiting
on its own pool."""


class Target(Protocol):
    """Where a client works: `controller.desired.model.Account` (or `Environment.target`)."""

    account: str
    region: str
    role: str


class _AssumedRoleProvider(CredentialProvider):
    """Hands botocore credentials that call `refresh` on first use and again before they expire."""

    METHOD = "smgitops-assume-role"

    def __init__(self, refresh) -> None:
        self._credentials = DeferredRefreshableCredentials(refresh_using=refresh, method=self.METHOD)

    def load(self) -> DeferredRefreshableCredentials:
        return self._credentials


class Clients:
    """Shared, instrumented boto3 clients for every target the controller works on."""

    def __init__(
        self,
        *,
        endpoint_url: str | None = None,
        max_concurrency: int = 25,
        calls_per_second_per_account: float | None = None,
        base_session: boto3.Session | None = None,
        max_attempts: int = 5,
        role_session_seconds: int = 3600,
    ) -> None:
        """`max_concurrency` is the size of each account's pool for `map`; `max_attempts` counts the first try
        (adaptive retry mode); `role_session_seconds` is the lifetime asked of AssumeRole (botocore refreshes
        credentials within 15 minutes of their expiry); `calls_per_second_per_account` is an optional hard
        cap per account (None: no cap of our own, only the adaptive slow-down on throttling)."""
        self.endpoint_url = endpoint_url
        self.max_concurrency = max_concurrency
        self.calls = CallCounter()
        self.limiter = AccountLimiter(rate=calls_per_second_per_account)
        self.once = OncePerApply()
        self.role_session_seconds = role_session_seconds
        self._base_session = base_session or boto3.Session()
        self._config = Config(
            retries={"mode": "adaptive", "total_max_attempts": max_attempts},
            max_pool_connections=max(10, max_concurrency),
            connect_timeout=10,
            read_timeout=60,
        )
        self._clients: dict[tuple[str, str, str, str], BaseClient] = {}
        self._role_sessions: dict[str, boto3.Session] = {}
        self._sts_clients: dict[str, BaseClient] = {}
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()
        self._sts_lock = threading.Lock()

    def client(self, service: str, target: Target) -> BaseClient:
        """The one client for `service` in `target`'s account and region, assuming `target.role`."""
        key = (target.account, target.region, service, target.role)
        found = self._clients.get(key)
        if found is not None:
            return found
        with self._lock:
            if key not in self._clients:
                session = self._session_for(target.role, region=target.region)
                new_client = session.client(
                    service, region_name=target.region, endpoint_url=self.endpoint_url, config=self._config
                )
                self._instrument(new_client, service=service, account=target.account)
                self._clients[key] = new_client
            return self._clients[key]

    def map(self, target: Target, function: Callable[[Item], Result], items: Iterable[Item]) -> list[Result]:
        """`function(item)` for every item, results in order, on `target`'s account pool: at most
        `max_concurrency` calls in flight per account, accounts in parallel. Every call finishes before the
        first failure (in item order) is raised."""
        chosen = list(items)
        if len(chosen) <= 1 or getattr(_pool_thread, "account", None) == target.account:
            return [function(item) for item in chosen]
        pool = self._pool(target.account)
        futures = [pool.submit(function, item) for item in chosen]
        wait(futures)
        return [future.result() for future in futures]

    def _pool(self, account: str) -> ThreadPoolExecutor:
        with self._lock:
            if account not in self._pools:
                self._pools[account] = ThreadPoolExecutor(
                    max_workers=self.max_concurrency,
                    thread_name_prefix=f"aws-{account}",
                    initializer=_mark_pool_thread,
                    initargs=(account,),
                )
            return self._pools[account]

    def close(self) -> None:
        """Stop the account pools and close every client's connection pool."""
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            pool.shutdown(wait=True)
        with self._lock, self._sts_lock:
            for open_client in [*self._clients.values(), *self._sts_clients.values()]:
                open_client.close()
            self._clients.clear()
            self._sts_clients.clear()

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _session_for(self, role: str, *, region: str) -> boto3.Session:
        """The base session for an empty role; otherwise a session whose credentials assume `role`."""
        if not role:
            return self._base_session
        if role not in self._role_sessions:
            core = botocore.session.Session()
            # Share the loaded service models: boto3 exposes its botocore session only as `_session`.
            core.register_component("data_loader", self._base_session._session.get_component("data_loader"))
            refresh = functools.partial(self._assume_role, role=role, region=region)
            resolver = CredentialResolver([_AssumedRoleProvider(refresh)])
            core.register_component("credential_provider", resolver)
            self._role_sessions[role] = boto3.Session(botocore_session=core)
        return self._role_sessions[role]

    def _assume_role(self, *, role: str, region: str) -> dict[str, Any]:
        sts = self._sts_client(region)
        response = sts.assume_role(
            RoleArn=role, RoleSessionName=SESSION_NAME, DurationSeconds=self.role_session_seconds
        )
        credentials = response["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    def _sts_client(self, region: str) -> BaseClient:
        """STS with the base credentials, counted but not rate limited; its own lock, as refreshes may run
        while another thread holds the client lock."""
        with self._sts_lock:
            if region not in self._sts_clients:
                sts = self._base_session.client(
                    "sts", region_name=region, endpoint_url=self.endpoint_url, config=self._config
                )
                self._instrument(sts, service="sts", account=None)
                self._sts_clients[region] = sts
            return self._sts_clients[region]

    def _instrument(self, new_client: BaseClient, *, service: str, account: str | None) -> None:
        events = new_client.meta.events
        events.register("before-call", functools.partial(self._on_call, service=service))
        events.register("response-received", self._on_response)
        events.register("after-call", self._on_after_call)
        if account is not None:
            events.register("before-send", functools.partial(self._on_send, account=account))

    def _on_call(self, *, service: str, model, **_: Any) -> None:
        self.calls.record_call(service, model.name)

    def _on_send(self, *, account: str, **_: Any) -> None:
        self.limiter.acquire(account)

    def _on_response(self, *, parsed_response: dict | None = None, **_: Any) -> None:
        code = (parsed_response or {}).get("Error", {}).get("Code")
        if code in THROTTLE_CODES:
            self.calls.record_throttle()

    def _on_after_call(self, *, parsed: dict | None = None, **_: Any) -> None:
        self.calls.record_retries((parsed or {}).get("ResponseMetadata", {}).get("RetryAttempts", 0))


def _mark_pool_thread(account: str) -> None:
    _pool_thread.account = account
