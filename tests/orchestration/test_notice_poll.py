"""The catch-up on suppliers' notices (workers/notices.py): a notice whose notification never came is found by
the poll, and one that ended unseen is read again and closes ours."""

from __future__ import annotations

import dataclasses

import pytest

from counterpoint.bootstrap import Container
from counterpoint.core.orchestration.plan import Orchestration
from counterpoint.core.orchestration.supply import NoticeState
from counterpoint.core.seller.model import ACCESS_ELINE
from counterpoint.core.shared.clock import ManualClock
from counterpoint.workers.notices import NoticePoll
from tests.fakes import FakeGateway, FakeSupplier, provider
from tests.orchestration.test_notices import SUPPLIER, composite, notice


@pytest.fixture
def profile(profile):  # type: ignore[no-untyped-def]
    orch = Orchestration(providers=(provider(SUPPLIER, ACCESS_ELINE, countries=("SG",)),), offerings=())
    return dataclasses.replace(profile, orchestration=orch)


@pytest.fixture
def supplier(container: Container, clock: ManualClock, profile) -> FakeSupplier:  # type: ignore[no-untyped-def]
    fake = FakeSupplier(SUPPLIER, clock)
    container._suppliers = FakeGateway(fake, providers=profile.orchestration.providers)
    return fake


async def test_the_poll_finds_a_notice_never_notified_and_an_end_never_notified(
        container: Container, clock: ManualClock, supplier: FakeSupplier) -> None:
    await composite(container, buyer="buyer-a", channel="sonata", our_product="svc-a", supplier_product="sp-1")
    poll = NoticePoll(container)
    assert await poll.run_once() == 0
    supplier.notices["inc-1"] = notice(clock, "sp-1")
    assert await poll.run_once() == 1
    assert await poll.run_once() == 0  # nothing new
    async with container.uow() as uow:
        (ours,) = await uow.incidents.by_source("lion:inc-1")
        assert await uow.incidents.open_sources() == ["lion:inc-1"]
    assert ours.status.value == "created"
    supplier.notices["inc-1"] = notice(clock, "sp-1", state=NoticeState.ENDED)  # no longer listed as open
    assert await poll.run_once() == 1
    assert "get_incident inc-1" in supplier.calls
    async with container.uow() as uow:
        assert (await uow.incidents.get_unscoped(ours.id)).status.value == "closed"
        assert await uow.incidents.open_sources() == []
