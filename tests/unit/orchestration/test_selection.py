"""Provider selection: coverage first, then price, lead time, SLA and preference; the reasons are kept."""

from __future__ import annotations

from decimal import Decimal

import pytest

from counterpoint.core.orchestration.registry import Capability, ProviderConfig
from counterpoint.core.orchestration.selection import Need, NoSupplier, Weights, select

AEL = "urn:ael"


def p(pid: str, *, countries=("SG",), mrc=1000, lead=20, sla="99.9", pref=0, spec=AEL, own=False,  # type: ignore[no-untyped-def]
      max_mbps=10_000) -> ProviderConfig:
    return ProviderConfig(id=pid, name=pid, adapter="own-network" if own else "mef-sonata", preference=pref,
                          capabilities=(Capability(f"{pid}-o", spec, countries=countries, mrc=Decimal(mrc),
                                                   lead_time_days=lead, availability_pct=Decimal(sla),
                                                   max_bandwidth_mbps=max_mbps),))


def need(**kw) -> Need:  # type: ignore[no-untyped-def]
    return Need(kw.pop("spec", AEL), kw.pop("country", "SG"), kw.pop("city", None), kw.pop("mbps", 1000), **kw)


def test_cheapest_covering_supplier_wins_and_says_why() -> None:
    choice = select([p("b", mrc=900), p("c", mrc=1500), p("d", countries=("MY",), mrc=10)], need())
    assert choice.provider_id == "b"
    assert choice.excluded == {"d": "does not cover the place or the bandwidth"}
    assert [c.provider_id for c in choice.candidates] == ["b", "c"]
    assert any("list price" in r for r in choice.reasons)


def test_lead_time_can_outweigh_price() -> None:
    providers = [p("slow", mrc=900, lead=90), p("fast", mrc=950, lead=10)]
    assert select(providers, need()).provider_id == "fast"
    assert select(providers, need(), Weights(price=1, lead_time=0, sla=0, preference=0)).provider_id == "slow"


def test_sla_floor_bandwidth_spec_and_own_network_filter() -> None:
    providers = [p("low", sla="99.0"), p("small", max_mbps=100), p("other", spec="urn:x"), p("ours", own=True)]
    with pytest.raises(NoSupplier) as err:
        select(providers, need(min_availability_pct=Decimal("99.5")))
    assert set(err.value.excluded) == {"low", "small", "other", "ours"}
    assert select(providers, need(own_network=True)).provider_id == "ours"


def test_ties_go_to_preference_then_id() -> None:
    assert select([p("b"), p("a")], need()).provider_id == "a"
    assert select([p("b", pref=5), p("a")], need()).provider_id == "b"
