"""The supplier gateway: the only way the rest of the program reaches another provider.

It builds one adapter per configured provider, by the adapter name in the profile, and hands it out by
provider id. Which package speaks to whom is decided here and nowhere else.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any

from counterpoint.core.orchestration.registry import ProviderConfig
from counterpoint.core.orchestration.supply import SupplierAdapter
from counterpoint.core.shared.clock import Clock
from counterpoint.suppliers.mef_sonata import SonataAdapter
from counterpoint.suppliers.partner_json import PartnerJsonAdapter
from counterpoint.suppliers.transport import Exchange

log = logging.getLogger("counterpoint.suppliers")


def _audit(exchange: Exchange) -> None:
    log.info("supplier call", extra={"provider": exchange.provider, "method": exchange.method, "url": exchange.url,
                                     "attempt": exchange.attempt, "status": exchange.status,
                                     "outcome": exchange.outcome, "elapsed_ms": round(exchange.elapsed_ms, 1),
                                     "correlation_id": exchange.correlation_id,
                                     "idempotency_key": exchange.idempotency_key})


class SupplierGateway:
    def __init__(self, providers: tuple[ProviderConfig, ...], *, clock: Clock,
                 own_network: Callable[[ProviderConfig], SupplierAdapter] | None = None,
                 audit: Callable[[Exchange], None] = _audit, http: Any = None) -> None:
        self.providers = {p.id: p for p in providers}
        self._clock = clock
        self._own = own_network
        self._audit = audit
        self._http = http
        self._adapters: dict[str, SupplierAdapter] = {}

    def adapter(self, provider_id: str) -> SupplierAdapter:
        if provider_id not in self._adapters:
            config = self.providers.get(provider_id)
            if config is None:
                raise KeyError(f"unknown provider {provider_id}")
            self._adapters[provider_id] = self._build(config)
        return self._adapters[provider_id]

    def _build(self, config: ProviderConfig) -> SupplierAdapter:
        if config.adapter == "mef-sonata":
            return SonataAdapter(config, clock=self._clock, client=self._http, audit=self._audit)
        if config.adapter == "partner-json":
            return PartnerJsonAdapter(config, clock=self._clock, client=self._http, audit=self._audit)
        if config.adapter == "own-network":
            if self._own is None:
                raise KeyError(f"provider {config.id}: no own network is wired in this process")
            return self._own(config)
        raise KeyError(f"provider {config.id}: unknown adapter {config.adapter}")

    def callback_token(self, provider_id: str, secret: str) -> str:
        """The unguessable path segment a provider's callbacks must carry to be heard at all."""
        return hmac.new(secret.encode(), provider_id.encode(), hashlib.sha256).hexdigest()[:24]

    async def aclose(self) -> None:
        for adapter in self._adapters.values():
            await adapter.aclose()
        self._adapters.clear()
