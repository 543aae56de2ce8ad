"""The partner-json adapter reads the partner's works (its own shape for planned works and problems on live
services) as neutral `SupplierNotice`s: over HTTP against the emulator, by polling and from signed webhooks that
carry the whole works."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from counterpoint.core.orchestration.supply import (
    CallbackRejected,
    NoticeImpact,
    NoticeKind,
    NoticeState,
    SupplierNotFound,
)
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.emulators.partner_json import PartnerEmulator
from counterpoint.suppliers.partner_json.adapter import PartnerJsonAdapter
from tests.suppliers.test_partner_json import (  # noqa: F401  (fixtures)
    KEY,
    PROVIDER,
    T0,
    Listener,
    adapter,
    advance,
    clock,
    emulator,
    exchanges,
    listener,
    partner_url,
    sleeps,
)

HOUR = timedelta(hours=1)


async def publish(partner_url: str, **body: object) -> dict[str, object]:  # noqa: F811
    async with httpx.AsyncClient(base_url=partner_url) as http:
        r = await http.post("/_admin/works", json=body)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]


def _ms(at: object) -> int:
    return int(at.timestamp() * 1000)  # type: ignore[attr-defined]


async def test_planned_works_are_read_as_maintenance_and_follow_their_window(
        adapter: PartnerJsonAdapter, emulator: PartnerEmulator, clock: ManualClock,  # noqa: F811
        partner_url: str) -> None:  # noqa: F811
    works = await publish(partner_url, kind="PLANNED", service_ids=["SVC-000001", "SVC-000002"],
                          summary="Cabinet replacement", effect="DEGRADED", starts_ms=_ms(T0 + HOUR),
                          ends_ms=_ms(T0 + 3 * HOUR))
    (listed,) = await adapter.list_incidents()
    assert listed.ref == ExternalRef(PROVIDER, str(works["works_id"]), "incident")
    assert (listed.kind, listed.state, listed.raw_state, listed.impact) == (
        NoticeKind.MAINTENANCE, NoticeState.ANNOUNCED, "SCHEDULED", NoticeImpact.DEGRADED)
    assert [p.value for p in listed.products] == ["SVC-000001", "SVC-000002"]
    assert all(p.kind == "product" for p in listed.products)
    assert (listed.starts_at, listed.expected_end) == (T0 + HOUR, T0 + 3 * HOUR)
    assert listed.description == "Cabinet replacement" and listed.observed_at == T0
    await advance(clock, emulator, 2 * HOUR)
    assert (await adapter.get_incident(listed.ref)).state is NoticeState.ONGOING
    await advance(clock, emulator, 2 * HOUR)
    ended = await adapter.get_incident(listed.ref)
    assert ended.state is NoticeState.ENDED and ended.raw_state == "COMPLETED" and ended.ended_at == T0 + 3 * HOUR
    assert await adapter.list_incidents() == []
    with pytest.raises(SupplierNotFound):
        await adapter.get_incident(ExternalRef(PROVIDER, "WK-999999", "incident"))


async def test_works_webhooks_carry_the_whole_notice_and_are_verified(
        adapter: PartnerJsonAdapter, emulator: PartnerEmulator, clock: ManualClock,  # noqa: F811
        partner_url: str, listener: Listener) -> None:  # noqa: F811
    await adapter.subscribe(listener.url)
    works = await publish(partner_url, kind="UNPLANNED", service_ids=["SVC-000007"], summary="Flapping line",
                          effect="INTERMITTENT", starts_ms=_ms(T0))
    await emulator.advance()
    notes = [adapter.parse_callback(path, headers, body) for path, headers, body in listener.received]
    assert [n.event_type for n in notes] == ["works.updated", "works.updated"]
    assert [n.notice.state for n in notes if n.notice] == [NoticeState.ANNOUNCED, NoticeState.ONGOING]
    first = notes[0]
    assert first.ref == ExternalRef(PROVIDER, str(works["works_id"]), "incident") and first.observation is None
    assert first.notice is not None and first.notice.kind is NoticeKind.IMPAIRMENT
    assert first.notice.evidence == first.event_id and first.event_time == T0
    path, headers, body = listener.received[0]
    with pytest.raises(CallbackRejected, match="bad webhook signature"):
        adapter.parse_callback(path, headers, body.replace(b"INTERMITTENT", b"OUTAGE"))
    async with httpx.AsyncClient(base_url=partner_url) as http:
        r = await http.post(f"/_admin/works/{works['works_id']}/complete")
        assert r.json()["status"] == "COMPLETED"
    await emulator.advance()
    last = adapter.parse_callback(*listener.received[-1])
    assert last.notice is not None and last.notice.state is NoticeState.ENDED


async def test_the_partner_refuses_works_that_end_before_they_start(partner_url: str) -> None:  # noqa: F811
    async with httpx.AsyncClient(base_url=partner_url, headers={"X-Api-Key": KEY}) as http:
        r = await http.post("/_admin/works", json={"kind": "PLANNED", "service_ids": ["S"], "summary": "x",
                                                   "starts_ms": _ms(T0), "ends_ms": _ms(T0 - HOUR)})
        assert r.status_code == 422 and r.json()["error"]["type"] == "validation"
        r = await http.get("/api/v2/works")
        assert r.json() == {"works": [], "total": 0}
