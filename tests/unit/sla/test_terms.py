"""A delivered composite as the SLA report sees it: its product is the service, its segments name their
suppliers and their monthly cost, the customer's monthly charge comes from the price book unless given."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from counterpoint.core.orchestration.model import CompositeOrder, Segment
from counterpoint.core.shared.errors import Invalid
from counterpoint.core.sla.model import SegmentTerms, ServiceTerms
from counterpoint.core.sla.services import terms_from_composite
from counterpoint.profiles.loader import load_profile
from counterpoint.settings import DEMO_PROFILE

T0 = datetime(2026, 11, 1, tzinfo=UTC)
A = load_profile(Path(DEMO_PROFILE).parent / "chain" / "a_archipelago.yaml", {"B_URL": "http://b", "C_URL": ""})


def _composite(product_id: str | None) -> CompositeOrder:
    return CompositeOrder(
        id="c1", buyer_id="enterprise", seller_id="archipelago-telecom", channel="cantata", created_at=T0,
        updated_at=T0, order_id="o1", item_id="1", action="add", product_id=product_id, offering_id="evpl-jkt-sgp",
        bandwidth_mbps=500, segments=[
            Segment(id="s-jkt", name="jakarta-access", provider_id="archipelago-net", own=True, request={},
                    cost={"mrc": "900", "currency": "USD"}),
            Segment(id="s-sg", name="singapore-access", provider_id="lion-city-metro", own=False, request={},
                    cost={"nrc": "800", "mrc": "1200", "currency": "USD"}),
            Segment(id="s-bb", name="jkt-sgp-backbone", provider_id="archipelago-net", own=True, request={})])


def test_a_delivered_composite_gives_the_services_terms() -> None:
    """500 Mbps of evpl-jkt-sgp is the price book's 1000 Mbps tier: 4 200 a month."""
    assert terms_from_composite(_composite("prod-1"), A) == ServiceTerms(
        "prod-1", "enterprise", "evpl-jkt-sgp", Decimal(4200), "USD",
        (SegmentTerms("s-jkt", None, Decimal(900)), SegmentTerms("s-sg", "lion-city-metro", Decimal(1200)),
         SegmentTerms("s-bb", None, None)))
    assert terms_from_composite(_composite("prod-1"), A, mrc=Decimal(3990)).mrc == Decimal(3990)


def test_a_composite_not_delivered_has_no_service_yet() -> None:
    with pytest.raises(Invalid):
        terms_from_composite(_composite(None), A)
