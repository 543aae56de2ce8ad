"""The chain's fault scenario: a fault on C's last mile, seen by the tests of B and A, reported by the enterprise
to A and followed across the providers (used by `counterpoint demo` and tests/e2e/test_ticket_chain.py)."""

from __future__ import annotations

from typing import Any

import httpx

from counterpoint.core.orchestration.model import CompositeOrder
from counterpoint.core.shared.apis import base_path
from counterpoint.core.shared.times import iso
from counterpoint.demo.cluster import Cluster
from counterpoint.demo.scenario import ENTERPRISE_KEY
from counterpoint.network.activation import FaultBoard

CANTATA_TICKETS = f"{base_path('troubleTicket', 'cantata')}/troubleTicket"
SONATA_TICKETS = f"{base_path('troubleTicket', 'sonata')}/troubleTicket"
B_KEY_AT_C = "demo-key-lion-city"  # c_merlion.yaml: Lion City Metro's key at Merlion


def service_chain(composites: dict[str, CompositeOrder]) -> tuple[str, str, str]:
    """(A's product for the enterprise, B's product for A, C's product for B) of an active chain."""
    a, b = composites["A"], composites["B"]
    a_seg = next(s for s in a.segments if s.provider_id == "lion-city-metro")
    b_seg = next(s for s in b.segments if s.provider_id == "merlion-access")
    assert a.product_id and a_seg.product_ref and b_seg.product_ref
    return a.product_id, a_seg.product_ref.value, b_seg.product_ref.value


def inject_last_mile_fault(cluster: Cluster, b_product: str, c_product: str, *, cleared_by_repair: bool = True,
                           fault_id: str = "changi-fibre-cut") -> FaultBoard:
    """A fault on C's last mile: B's test crosses it on C's product, A's on B's. When `cleared_by_repair`, it
    lasts until C resolves a ticket about its product (C's repair clears it); otherwise only clear() ends it."""
    board = FaultBoard()
    since = iso(cluster.clock.now())

    async def repaired() -> bool:  # a ticket about C's product, opened since the fault, that C resolved
        async with httpx.AsyncClient(base_url=cluster["C"].url, timeout=5) as http:
            r = await http.get(SONATA_TICKETS, params={"relatedEntityId": c_product, "creationDate.gt": since},
                               headers={"Authorization": f"Bearer {B_KEY_AT_C}"})
        return r.status_code == 200 and any(t.get("status") in ("resolved", "closed") for t in r.json())

    board.inject(fault_id, [("merlion-access", c_product), ("lion-city-metro", b_product)], loss_ratio=0.04,
                 repaired=repaired if cleared_by_repair else None)
    for key in ("A", "B"):
        container = cluster[key].container
        assert container is not None
        container.activation_tester().board = board
    return board


def fault_report(product_id: str, external_id: str = "NUSANTARA-TT-001", *, severity: str = "significant"
                 ) -> dict[str, Any]:
    """The enterprise's MEF 124 ticket about its Jakarta-Singapore line (an extensive one makes C send its crew:
    c_merlion.yaml)."""
    return {
        "externalId": external_id, "description": "Jakarta-Singapore line: heavy packet loss since 08:00",
        "observedImpact": "degraded", "priority": "high", "severity": severity, "ticketType": "assistance",
        "relatedEntity": [{"id": product_id, "role": "affectedProduct", "@referredType": "Product"}],
        "relatedContactInformation": [{"role": "reporterContact", "name": "Dewi Lestari", "number": "+62 21 555 0101",
                                       "emailAddress": "noc@nusantara-logistics.example",
                                       "organization": "Nusantara Logistics"}],
    }


async def report_enterprise_fault(cluster: Cluster, correlation_id: str, product_id: str,
                                  external_id: str = "NUSANTARA-TT-001", *, severity: str = "significant"
                                  ) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=cluster["A"].url, timeout=10) as http:
        r = await http.post(CANTATA_TICKETS, json=fault_report(product_id, external_id, severity=severity), headers={
            "Authorization": f"Bearer {ENTERPRISE_KEY}", "X-Correlation-ID": correlation_id})
    if r.status_code != 201:
        raise RuntimeError(f"A refused the enterprise's ticket: {r.status_code} {r.text[:500]}")
    return dict(r.json())


async def enterprise_ticket(cluster: Cluster, ticket_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=cluster["A"].url, timeout=10) as http:
        r = await http.get(f"{CANTATA_TICKETS}/{ticket_id}", headers={"Authorization": f"Bearer {ENTERPRISE_KEY}"})
    r.raise_for_status()
    return dict(r.json())


async def enterprise_closes(cluster: Cluster, ticket_id: str) -> int:
    async with httpx.AsyncClient(base_url=cluster["A"].url, timeout=10) as http:
        r = await http.post(f"{CANTATA_TICKETS}/{ticket_id}/close",
                            headers={"Authorization": f"Bearer {ENTERPRISE_KEY}"})
    return r.status_code
