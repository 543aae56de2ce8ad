"""Our service orchestration's loop: provisioning steps of service orders that are due, on the controller."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from counterpoint.core.service_order import services
from counterpoint.core.service_order.model import ServiceOrderPolicy
from counterpoint.core.service_order.ports import NetworkController
from counterpoint.workers.due import DueWorker, Step
from counterpoint.workers.loop import Loop

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container

def own_network_adapter(c: Container) -> Any | None:
    """The adapter of the profile's first own-network provider (it holds the controller), if there is one."""
    orch = getattr(c.profile, "orchestration", None)
    for provider in (orch.providers if orch is not None else ()):
        if provider.adapter == "own-network":
            return c.suppliers.adapter(provider.id)
    return None


class ServiceOrderWorker(DueWorker):
    """Advances due service orders. Without a controller given, it uses the own-network adapter's one;
    with neither, it has nothing to do."""

    name = "service-order"

    def __init__(self, c: Container, controller: NetworkController | None = None, *,
                 policy: ServiceOrderPolicy | None = None) -> None:
        super().__init__(c)
        if controller is None:
            adapter = own_network_adapter(c)
            controller = getattr(adapter, "controller", None)
            policy = policy or getattr(adapter, "policy", None)
        self.controller = controller
        self.policy = policy or ServiceOrderPolicy()

    def steps(self) -> list[tuple[str, Step]]:
        controller = self.controller
        if controller is None:
            return []
        c = self.c
        return [("service_orders", lambda oid: services.advance_service_order(c.uow(), c.clock, controller, oid,
                                                                             policy=self.policy))]


def loop(c: Container, controller: NetworkController | None = None) -> Loop:
    return Loop("service-order", ServiceOrderWorker(c, controller).run_once, c.settings.fulfilment_interval_s)
