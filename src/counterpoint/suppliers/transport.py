"""HTTP to a supplier, with the one retry policy every adapter shares.

The rule that matters: a request that may have reached the supplier and got no answer is an unknown
outcome, not a failure. Reads are retried freely; a write is retried only when the supplier could not have
acted on it (connection refused, 503, 429), otherwise the adapter raises `OutcomeUnknown` and the command
store's recovery looks the resource up by our reference before anything is sent again.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from counterpoint.core.orchestration.registry import ProviderConfig
from counterpoint.core.orchestration.supply import OutcomeUnknown, SupplierUnavailable

# Status codes that say the supplier did not act on the request: safe to send again.
NOT_PROCESSED = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class Exchange:
    """One attempt, for the audit trail (no bodies: they may carry customer data)."""

    provider: str
    method: str
    url: str
    attempt: int
    status: int | None
    outcome: str  # "answered" | "retry" | "unknown" | "unavailable"
    elapsed_ms: float
    correlation_id: str | None
    idempotency_key: str | None


Audit = Callable[[Exchange], None]


class SupplierHttp:
    def __init__(self, config: ProviderConfig, *, client: httpx.AsyncClient | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 rng: Callable[[], float] = random.random, audit: Audit | None = None) -> None:
        self.config = config
        timeout = httpx.Timeout(config.timeout.read_s, connect=config.timeout.connect_s)
        self._owned = client is None
        self.client = client or httpx.AsyncClient(timeout=timeout)
        self.timeout = timeout
        self._sleep = sleep
        self._rng = rng
        self._audit = audit

    def url(self, path: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/{path.lstrip('/')}"

    def _headers(self, correlation_id: str | None, idempotency_key: str | None,
                 extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        if correlation_id:
            headers["X-Correlation-ID"] = correlation_id
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if extra:
            headers.update(extra)
        return headers

    def backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to the capped exponential step (attempt counts from 1)."""
        policy = self.config.retry
        cap = min(policy.max_backoff_s, policy.backoff_s * (2 ** (attempt - 1)))
        return cap * self._rng()

    async def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                      content: bytes | None = None, headers: dict[str, str] | None = None,
                      correlation_id: str | None = None, idempotency_key: str | None = None,
                      idempotent: bool | None = None) -> httpx.Response:
        """Send with retries; return the first answer that is not a retryable refusal.

        4xx answers are returned for the adapter to interpret; 5xx answers to writes that the supplier
        may have acted on raise OutcomeUnknown; exhausted retries raise SupplierUnavailable.
        """
        safe = idempotent if idempotent is not None else method.upper() in ("GET", "HEAD", "OPTIONS", "DELETE")
        url = self.url(path)
        hdrs = self._headers(correlation_id, idempotency_key, headers)
        attempts = max(1, self.config.retry.attempts)
        last = "no attempt made"
        for attempt in range(1, attempts + 1):
            started = time.perf_counter()
            status: int | None = None
            try:
                response = await self.client.request(method, url, json=json, params=params, content=content,
                                                      headers=hdrs, timeout=self.timeout)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
                    httpx.InvalidURL) as exc:
                last = f"cannot connect ({type(exc).__name__})"  # never reached the supplier: safe to retry
            except httpx.RequestError as exc:
                # Any other transport failure (read/write timeout, dropped connection, proxy, protocol or
                # decoding error) may come after the supplier got the request: unknown for a write.
                last = f"no answer ({type(exc).__name__})"
                if not safe:
                    self._record(method, url, attempt, None, "unknown", started, correlation_id, idempotency_key)
                    raise OutcomeUnknown(self.config.id, f"{method} {path}: {last}") from exc
            else:
                status = response.status_code
                if status < 500 and status not in NOT_PROCESSED:
                    self._record(method, url, attempt, status, "answered", started, correlation_id, idempotency_key)
                    return response
                last = f"HTTP {status}"
                if not safe and status not in NOT_PROCESSED:
                    self._record(method, url, attempt, status, "unknown", started, correlation_id, idempotency_key)
                    raise OutcomeUnknown(self.config.id, f"{method} {path}: {last}", status=status)
            if attempt < attempts:
                self._record(method, url, attempt, status, "retry", started, correlation_id, idempotency_key)
                await self._sleep(self.backoff(attempt))
            else:
                self._record(method, url, attempt, status, "unavailable", started, correlation_id, idempotency_key)
        raise SupplierUnavailable(self.config.id, f"{method} {path}: {last} after {attempts} attempt(s)")

    def _record(self, method: str, url: str, attempt: int, status: int | None, outcome: str, started: float,
                correlation_id: str | None, idempotency_key: str | None) -> None:
        if self._audit is not None:
            self._audit(Exchange(self.config.id, method, url, attempt, status, outcome,
                                 (time.perf_counter() - started) * 1000, correlation_id, idempotency_key))

    async def aclose(self) -> None:
        if self._owned:
            await self.client.aclose()
