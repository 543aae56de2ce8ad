"""The Seller's fulfilment loop: due order steps, pending assessments, charges past their due date."""

from __future__ import annotations

from counterpoint.core.ordering import fulfilment
from counterpoint.core.shared.apis import base_path
from counterpoint.workers.due import DueWorker, Step


class FulfilmentWorker(DueWorker):
    name = "fulfilment"

    def href_base(self, channel: str) -> str:
        return self.c.base_url + base_path("productOrder", channel)

    def steps(self) -> list[tuple[str, Step]]:
        c = self.c
        return [
            ("cancel_requests", lambda tid: fulfilment.assess_task(c.uow(), c.clock, c.profile, "cancel", tid,
                                                                         supply_chain=c.supply_chain)),
            ("delivery_date_requests",
             lambda tid: fulfilment.assess_task(c.uow(), c.clock, c.profile, "modifyDate", tid,
                                                   supply_chain=c.supply_chain)),
            ("charges", lambda cid: fulfilment.expire_charge(c.uow(), c.clock, cid)),
            ("product_orders",
             lambda oid: fulfilment.advance_order(c.uow(), c.clock, c.profile, oid, self.href_base,
                                                  supply_chain=c.supply_chain)),
        ]
