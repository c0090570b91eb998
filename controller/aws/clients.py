"""Boto3 clients per (account, region, service, role): AssumeRole, retries, rate limit, endpoint override.

Kinds, the engine and the service ask `Clients.client(service, target)` for a client whenever they need one;
the first call creates it (under a lock, since boto3 sessions are not thread-safe) and every later call, from
any thread, shares it. Credentials for a target's role come from STS AssumeRole made with the base session's
credentials and are refreshed by botocore before they expire. Every API call passes through botocore events
that count it (`Clients.calls`) and take a token from the target account's rate limiter.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Protocol

import boto3
import botocore.session
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, DeferredRefreshableCredentials

from controller.aws.calls import CallCounter
from controller.aws.errors import THROTTLE_CODES
from controller.aws.ratelimit import AccountLimiter

SESSION_NAME = "smgitops"


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
        max_concurrency: int = 8,
        calls_per_second_per_account: float | None = 20.0,
        base_session: boto3.Session | None = None,
        max_attempts: int = 5,
        role_session_seconds: int = 3600,
    ) -> None:
        """`max_attempts` counts the first try (standard retry mode); `role_session_seconds` is the lifetime
        asked of AssumeRole (botocore refreshes credentials within 15 minutes of their expiry);
        `calls_per_second_per_account=None` turns the rate limit off."""
        self.endpoint_url = endpoint_url
        self.max_concurrency = max_concurrency
        self.calls = CallCounter()
        self.limiter = AccountLimiter(rate=calls_per_second_per_account)
        self.role_session_seconds = role_session_seconds
        self._base_session = base_session or boto3.Session()
        self._config = Config(
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            max_pool_connections=max(10, max_concurrency),
            connect_timeout=10,
            read_timeout=60,
        )
        self._clients: dict[tuple[str, str, str, str], BaseClient] = {}
        self._role_sessions: dict[str, boto3.Session] = {}
        self._sts_clients: dict[str, BaseClient] = {}
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

    def close(self) -> None:
        """Close every client's connection pool."""
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
