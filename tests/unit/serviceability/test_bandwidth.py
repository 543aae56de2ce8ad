"""Reading the requested bandwidth from product configurations, and cutting it down."""

from __future__ import annotations

import pytest

from counterpoint.core.serviceability.bandwidth import limited_to, port_mbps, rate_mbps, requested_mbps
from counterpoint.productschemas import default_registry
from tests.unit.serviceability.payloads import ael, internet, uni


@pytest.mark.parametrize(
    ("rate", "mbps"),
    [
        ({"irValue": 70, "irUnits": "KBPS"}, 0.07),
        ({"irValue": 2, "irUnits": "GBPS"}, 2000.0),
        ({"irValue": 5, "irUnits": "parsecs"}, 0.0),
        ("fast", 0.0),
        ({"irValue": True, "irUnits": "MBPS"}, 0.0),
    ],
)
def test_information_rates_in_mbps(rate: object, mbps: float) -> None:
    assert rate_mbps(rate) == pytest.approx(mbps)


@pytest.mark.parametrize(
    ("port", "mbps"),
    [
        ("100BASE_TX", 100),
        ("1000BASE_LX", 1000),
        ("10GBASE_LR", 10_000),
        ("2BASE_TL", 2),
        ("400GBASE_SR4_2", 400_000),
        ("copper", 0),
    ],
)
def test_port_speed_from_the_phy_name(port: str, mbps: float) -> None:
    assert port_mbps(port) == mbps


def test_access_eline_adds_cir_and_eir_of_the_flows_of_an_end_point() -> None:
    assert requested_mbps(ael(300, eir=200)) == 500
    config = ael(100)
    config["uniEp"]["ingressBandwidthProfilePerClassOfServiceName"].append(
        {"classOfServiceName": "silver", "bwpFlow": [{"cir": {"irValue": 1, "irUnits": "GBPS"}}]}
    )
    assert requested_mbps(config) == 1100
    config["enniEp"]["egressBandwidthProfilePerEndPoint"] = [{"cir": {"irValue": 5, "irUnits": "GBPS"}}]
    assert requested_mbps(config) == 5000


def test_uni_takes_the_fastest_port_or_the_sum_when_all_links_are_active() -> None:
    assert requested_mbps(uni("10GBASE_LR", links=2)) == 10_000
    assert requested_mbps(uni("10GBASE_LR", links=2, lag="ALL_ACTIVE")) == 20_000


def test_internet_access_takes_the_largest_envelope_rate() -> None:
    assert requested_mbps(internet(max_mbps=300, cir_mbps=50)) == 300


def test_unknown_specifications_ask_for_nothing() -> None:
    assert requested_mbps({"@type": "urn:example:other"}) is None
    assert requested_mbps(None) is None
    assert requested_mbps({"@type": ael()["@type"]}) is None


@pytest.mark.parametrize(
    ("config", "limit"),
    [
        (ael(20_000, eir=1_000), 10_000),
        (uni("100GBASE_LR4"), 10_000),
        (uni("10GBASE_LR", links=4, lag="ALL_ACTIVE"), 25_000),
        (internet(max_mbps=2_000), 1_000),
        (ael(333), 100),
    ],
)
def test_cut_down_configuration_fits_and_stays_schema_valid(config: dict, limit: int) -> None:
    smaller = limited_to(config, limit)
    assert smaller is not None
    after = requested_mbps(smaller)
    assert after is not None and after <= limit
    assert default_registry().validate_configuration(smaller, base_path="") == []
    assert requested_mbps(config) > limit  # the original is untouched


def test_nothing_to_cut_when_it_already_fits_or_cannot_shrink() -> None:
    assert limited_to(ael(100), 1000) is None
    assert limited_to(uni("100BASE_TX"), 5) is None  # no port that slow
    assert limited_to({"@type": "urn:example:other"}, 10) is None
