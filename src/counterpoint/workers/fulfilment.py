"""The Seller's fulfilment loop: due order steps, pending assessments, charges past their due date."""

from __future__ import annotations

from counterpoint.api.mounts import base_path
from counterpoint.core.ordering import fulfilment
from counterpoint.storage.ordering import (
    SqlCancelRequests,
    SqlCharges,
    SqlDeliveryDateRequests,
    SqlProductOrders,
)
from counterpoint.workers.due import DueWorker, Step


class FulfilmentWorker(DueWorker):
    name = "fulfilment"

    def href_base(self, channel: str) -> str:
        return self.c.base_url + base_path("productOrder", channel)

    def steps(self) -> list[tuple[type, Step]]:
        c = self.c
        return [
            (SqlCancelRequests, lambda tid: fulfilment.assess_task(c.uow(), c.clock, c.profile, "cancel", tid,
                                                                         supply_chain=c.supply_chain)),
            (SqlDeliveryDateRequests,
             lambda tid: fulfilment.assess_task(c.uow(), c.clock, c.profile, "modifyDate", tid,
                                                   supply_chain=c.supply_chain)),
            (SqlCharges, lambda cid: fulfilment.expire_charge(c.uow(), c.clock, cid)),
            (SqlProductOrders,
             lambda oid: fulfilment.advance_order(c.uow(), c.clock, c.profile, oid, self.href_base,
                                                  supply_chain=c.supply_chain)),
        ]
