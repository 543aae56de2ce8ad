"""Composition root: the only module that wires storage, profile, clock and workers together."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from counterpoint.core.incident.services import seed_windows
from counterpoint.core.inventory.services import seed_existing
from counterpoint.core.orchestration.customer_tickets import SellerTicketMoves
from counterpoint.core.orchestration.ports import Timing
from counterpoint.core.orchestration.registry import ProviderConfig
from counterpoint.core.orchestration.supply_chain import Orchestrator
from counterpoint.core.orchestration.tickets import TicketFederation
from counterpoint.core.ports import NO_SUPPLY, NO_TICKET_DESK, SupplyChain, TicketDesk
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.service_order.ports import NetworkController
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.validation import ProductSchemas
from counterpoint.core.trouble_ticket.visits import VisitDesk, WorkforceVisits
from counterpoint.network.activation import ServiceActivationTester
from counterpoint.network.controller import NetworkConfig, SimulatedNetworkController
from counterpoint.notifications.relay import OutboxRelay
from counterpoint.notifications.targets import TargetPolicy
from counterpoint.productschemas import default_registry
from counterpoint.profiles.credentials import refuse_demo_keys
from counterpoint.profiles.loader import load_profile
from counterpoint.settings import Settings
from counterpoint.storage.db import create_engine, migrate
from counterpoint.storage.relay import SqlRelayStore
from counterpoint.storage.uow import SqlUnitOfWork
from counterpoint.suppliers.gateway import SupplierGateway
from counterpoint.suppliers.own_network import OwnNetworkAdapter, policy_from_mapping
from counterpoint.workers.runner import WorkerSet


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ScaledClock:
    """Wall-clock time running `scale` times faster from the moment it was made (emulator fast-forward).

    Profile lead times stay real durations (a 20-day installation is 20 days on this clock), so every MEF
    date looks as a real partner's would, while a demo sees the order complete in seconds.

    With an `anchor` (a recent instant) the clock reads real time at the anchor and runs `scale` times faster
    from there, so processes given the same anchor share one clock, and a restarted process goes on from where
    the one before it stopped instead of starting again at real time (behind everything it had scheduled).
    """

    def __init__(self, scale: float, *, anchor: datetime | None = None) -> None:
        self.scale = scale
        self.origin = anchor or datetime.now(UTC)
        self._mono = time.monotonic() - (datetime.now(UTC) - self.origin).total_seconds()

    def now(self) -> datetime:
        return self.origin + timedelta(seconds=(time.monotonic() - self._mono) * self.scale)


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    profile: SellerProfile
    clock: Clock
    http: httpx.AsyncClient | None = None
    workers: list[object] = field(default_factory=list)
    running: WorkerSet | None = None  # the background loops, once start() started them
    _suppliers: Any = None
    tester: Any = None  # ActivationTester; built on first use when None
    customer_desk: Any = None  # CustomerTickets (core/orchestration/ports.py); the Seller's own when None

    @property
    def timing(self) -> Timing:
        # the settings are real seconds; the orchestrator measures them on the process clock, which may run
        # `time_scale` times faster than real time
        s = self.settings
        k = s.time_scale
        return Timing(in_flight_grace_s=s.command_in_flight_grace_s * k,
                      recovery_grace_s=s.command_recovery_grace_s * k,
                      retry_backoff_s=s.supplier_retry_backoff_s * k, max_retry_backoff_s=120.0 * k,
                      test_retry_s=60.0 * k)

    @property
    def supply_chain(self) -> SupplyChain:
        """What the Seller's POQs, quotes and orders ask for items built from segments: the orchestrator when the
        profile declares one, else nothing."""
        return Orchestrator() if self.profile.orchestration is not None else NO_SUPPLY

    @property
    def visits(self) -> VisitDesk:
        """How a repair books a technician: MEF 137 work orders of this Seller, whose appointments the Buyer books
        (core.trouble_ticket.visits.NO_VISITS would fold the visit into the repair instead)."""
        return WorkforceVisits()

    @property
    def ticket_desk(self) -> TicketDesk:
        """Who works trouble tickets about products built from segments: the orchestrator's ticket federation
        when the profile declares an orchestration (it takes only tickets about composite products), else
        nobody, and the profile's emulated lifecycle runs."""
        return TicketFederation() if self.profile.orchestration is not None else NO_TICKET_DESK

    @property
    def customer_tickets(self) -> Any:
        """How the orchestrator moves a customer's ticket at this Seller (start work, ask, resolve...)."""
        if self.customer_desk is None:
            self.customer_desk = SellerTicketMoves()
        return self.customer_desk

    @property
    def suppliers(self) -> Any:
        """The supplier gateway (suppliers/gateway.py), built on first use from the profile's providers."""
        if self._suppliers is None:
            orch = self.profile.orchestration
            self._suppliers = SupplierGateway(orch.providers if orch else (), clock=self.clock,
                                              own_network=self._own_network)
        return self._suppliers

    def callback_token(self, provider_id: str) -> str | None:
        """The token a provider's callback URLs carry (None for a provider we do not know)."""
        config = self.suppliers.providers.get(provider_id)
        if config is None:
            return None
        secret = config.callback_secret or self.settings.api_key_salt.get_secret_value()
        token: str = self.suppliers.callback_token(provider_id, secret)
        return token

    def callback_url(self, provider_id: str) -> str:
        """Where a provider sends its notifications to us (api/listener.py serves it)."""
        return f"{self.base_url}/suppliers/{provider_id}/{self.callback_token(provider_id)}"

    def activation_tester(self) -> Any:
        """The end-to-end activation test (network/activation.py), measuring our segments on our controller."""
        if self.tester is None:
            orch = self.profile.orchestration
            own = next((p for p in orch.providers if p.adapter == "own-network"), None) if orch else None
            controller = getattr(self.suppliers.adapter(own.id), "controller", None) if own else None
            self.tester = ServiceActivationTester(controller, self.clock)
        return self.tester

    def _own_network(self, config: Any) -> Any:
        return build_own_network(config, uow_factory=self.uow, clock=self.clock)

    @property
    def schemas(self) -> ProductSchemas:
        """The MEF product payload validators, loaded on first use and shared by the process."""
        return default_registry()

    @property
    def targets(self) -> TargetPolicy:
        """Where listeners may be (production mode keeps them out of internal networks)."""
        return TargetPolicy.of(production=self.settings.mode == "production",
                               allowed=self.settings.listener_allowed_targets)

    def relay(self, *, max_attempts: int | None = None, backoff_s: float | None = None) -> OutboxRelay:
        """The notification relay over this process's database and HTTP client."""
        assert self.http is not None
        s = self.settings
        return OutboxRelay(SqlRelayStore(self.engine), self.clock, self.http, seller_base_url=self.base_url,
                           max_attempts=max_attempts or s.delivery_max_attempts,
                           backoff_s=backoff_s if backoff_s is not None else s.delivery_backoff_s,
                           targets=self.targets)

    def uow(self, correlation_id: str | None = None, *, channel: str | None = None) -> SqlUnitOfWork:
        """A unit of work; `channel` scopes it to one interface's resources (every buyer request's is)."""
        return SqlUnitOfWork(self.engine, correlation_id=correlation_id, channel=channel)

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    async def start(self) -> None:
        """Migrate, seed the profile's inventory and announce its maintenance windows, and start the background
        workers when the settings say so."""
        await migrate(self.engine)
        if self.profile.inventory:  # the products the profile's Buyers already have (idempotent)
            await seed_existing(self.uow(), self.profile, at=self.clock.now())
        if self.profile.maintenance:  # planned windows, announced to the buyers they touch (idempotent)
            await seed_windows(self.uow(), self.clock, self.profile)
        if self.settings.run_workers and self.running is None:
            self.running = WorkerSet.for_container(self)
            self.running.start()

    async def close(self) -> None:
        if self.running is not None:
            await self.running.stop()
            self.running = None
        if self._suppliers is not None:
            await self._suppliers.aclose()
        if self.http is not None:
            await self.http.aclose()
        await self.engine.dispose()


def build_own_network(config: ProviderConfig, *, uow_factory: Callable[[], SqlUnitOfWork], clock: Clock,
                      controller: NetworkController | None = None) -> OwnNetworkAdapter:
    """The adapter with its controller: the simulated one, configured from `options.network`, unless given."""
    options = getattr(config, "options", None) or {}
    if controller is None:
        controller = SimulatedNetworkController(NetworkConfig.from_mapping(options.get("network") or {}),
                                                uow_factory=uow_factory, clock=clock)
    return OwnNetworkAdapter(config, uow_factory=uow_factory, clock=clock, controller=controller,
                             policy=policy_from_mapping(options.get("service_orders")))


def build(settings: Settings, *, clock: Clock | None = None, profile: SellerProfile | None = None,
          http_factory: Callable[[], httpx.AsyncClient] | None = None) -> Container:
    """Everything a Seller process needs; nothing connects until `start()`."""
    profile = profile or load_profile(settings.profile)
    if settings.mode == "production":
        refuse_demo_keys(profile)
    return Container(
        settings=settings,
        engine=create_engine(settings.database_url),
        profile=profile,
        clock=clock or (ScaledClock(settings.time_scale, anchor=settings.clock_anchor) if settings.time_scale != 1
                        else SystemClock()),
        http=(http_factory or (lambda: httpx.AsyncClient(timeout=settings.delivery_timeout_s)))(),
    )
