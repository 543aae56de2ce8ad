"""The demo's SLA act: each provider's month report for the outage the fault caused (core/sla), in one line per
service and supplier: the customer's availability and credit, the supplier's repairs against its OLA and its
penalty, all computed from the evidence the ticket flow recorded."""

from __future__ import annotations

from counterpoint.core.orchestration.ticket_escalation import outage_key
from counterpoint.core.sla import services as sla
from counterpoint.core.sla.model import Month
from counterpoint.demo.cluster import Cluster
from counterpoint.demo.tickets import TicketState


async def sla_lines(cluster: Cluster, tickets: dict[str, TicketState], correlation: str) -> list[str]:
    """`A: ...` and `B: ...` lines of the month's SLA report (the month the outage began), for the service the
    customer's ticket of this correlation was about; nothing for a provider that recorded no outage."""
    lines: list[str] = []
    for key in "AB":
        c = cluster[key].container
        fed = next((f for f in tickets[key].federated if f.correlation_id == correlation), None)
        if c is None or fed is None:
            continue
        async with c.uow() as uow:
            outage = await uow.sla.outage_by_key(fed.product_id, outage_key(fed))
            if outage is None:
                continue
            report = await sla.report(uow, c.clock, c.profile.commitments,
                                      Month(outage.start.year, outage.start.month), service_id=fed.product_id)
        lines += [f"{key}'s SLA report: {line}" for line in report.summary()]
    return lines
