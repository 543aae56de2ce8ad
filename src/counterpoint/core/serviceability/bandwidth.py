"""The bandwidth a product configuration asks for, and the same configuration cut down to a smaller one.

What is read, per product specification (`@type`):

- Access E-Line OVC (MEF 106): for each end point (`uniEp`, `enniEp`) and direction, the sum over its
  bandwidth profile flows of CIR + EIR. Flows are read from `ingressBandwidthProfilePerClassOfServiceName[]
  .bwpFlow` and `egressBwpPerEgressEquivalenceClassName[].bwpFlow` (an object, or a list as some MEF examples
  write it), `egressBandwidthProfilePerEndPoint[]`, and the per-end-point ingress profile
  `ingressBandwidthProfilePerEndPoint` (a MEF 26.2 attribute some payloads carry though this schema version
  does not list it). The answer is the largest of those sums.
- Carrier Ethernet Operator UNI (MEF 106): the port speed named by `listOfPhysicalLinks[].physicalLink`
  (e.g. `10GBASE_LR` is 10 000 Mbps); the largest link, or the sum of links when `linkAggregation` is
  `ALL_ACTIVE`.
- Basic Internet Access (MEF 139): the larger of `cir` and `maxIr` in every bandwidth profile envelope
  (ingress and egress) of `ipvc.ipvcEndPoint`, `ipUni` and `ipUniAccessLink`.

Any other specification, or a configuration without these fields: no bandwidth is read (None), and the
offering's maximum is not checked.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterator
from typing import Any

from counterpoint.core.seller.model import ACCESS_ELINE, INTERNET_ACCESS, OPERATOR_UNI

_UNIT_MBPS = {"BPS": 1e-6, "KBPS": 1e-3, "MBPS": 1.0, "GBPS": 1e3, "TBPS": 1e6}
_PHY = re.compile(r"^(\d+(?:\.\d+)?)(G?)BASE")
# A port type of each speed, to propose a smaller UNI (values of the MEF PhysicalLink enumeration).
_PORTS = (
    (400_000, "400GBASE_LR8"),
    (100_000, "100GBASE_LR4"),
    (40_000, "40GBASE_LR4"),
    (25_000, "25GBASE_LR"),
    (10_000, "10GBASE_LR"),
    (1_000, "1000BASE_LX"),
    (100, "100BASE_TX"),
    (10, "10BASE_T"),
)
_IA_ENVELOPES = (
    ("ipvc", "ipvcEndPoint", "ingressBandwidthProfileEnvelope"),
    ("ipvc", "ipvcEndPoint", "egressBandwidthProfileEnvelope"),
    ("ipUni", "ingressBandwidthProfileEnvelope"),
    ("ipUni", "egressBandwidthProfileEnvelope"),
    ("ipUniAccessLink", "ingressBwpEnvelope"),
    ("ipUniAccessLink", "egressBwpEnvelope"),
)


def rate_mbps(rate: Any) -> float:
    """An MEF InformationRate ({irValue, irUnits}) in Mbps; anything else counts as 0."""
    if not isinstance(rate, dict):
        return 0.0
    value, units = rate.get("irValue"), rate.get("irUnits")
    if not isinstance(value, int | float) or isinstance(value, bool) or units not in _UNIT_MBPS:
        return 0.0
    return float(value) * _UNIT_MBPS[units]


def port_mbps(physical_link: Any) -> float:
    match = _PHY.match(physical_link) if isinstance(physical_link, str) else None
    if match is None:
        return 0.0
    return float(match.group(1)) * (1000.0 if match.group(2) else 1.0)


def _flows(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict):
                yield v


def _ael_groups(config: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
    """Groups of bandwidth profile flows whose rates add up (one group per end point and direction)."""
    for ep_name in ("uniEp", "enniEp"):
        ep = config.get(ep_name)
        if not isinstance(ep, dict):
            continue
        yield [
            f
            for entry in _flows(ep.get("ingressBandwidthProfilePerClassOfServiceName"))
            for f in _flows(entry.get("bwpFlow"))
        ]
        yield [
            f
            for entry in _flows(ep.get("egressBwpPerEgressEquivalenceClassName"))
            for f in _flows(entry.get("bwpFlow"))
        ]
        yield list(_flows(ep.get("egressBandwidthProfilePerEndPoint")))
        yield list(_flows(ep.get("ingressBandwidthProfilePerEndPoint")))


def _ia_envelopes(config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path in _IA_ENVELOPES:
        node: Any = config
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        yield from _flows(node)  # a list of (at most one) envelope; a bare object is read too


def requested_mbps(config: dict[str, Any] | None) -> float | None:
    """The bandwidth the configuration asks for, in Mbps, or None when it names none."""
    if not isinstance(config, dict):
        return None
    urn = config.get("@type")
    found = 0.0
    if urn == ACCESS_ELINE:
        for group in _ael_groups(config):
            found = max(found, sum(rate_mbps(f.get("cir")) + rate_mbps(f.get("eir")) for f in group))
    elif urn == OPERATOR_UNI:
        speeds = [port_mbps(link.get("physicalLink")) for link in _flows(config.get("listOfPhysicalLinks"))]
        if speeds:
            found = sum(speeds) if config.get("linkAggregation") == "ALL_ACTIVE" else max(speeds)
    elif urn == INTERNET_ACCESS:
        for env in _ia_envelopes(config):
            found = max(found, rate_mbps(env.get("cir")), rate_mbps(env.get("maxIr")))
    return found or None


def _scale_rate(rate: Any, factor: float) -> None:
    if isinstance(rate, dict) and rate_mbps(rate) > 0:
        value = math.floor(rate_mbps(rate) * factor * 1000) / 1000  # never rounds above the limit
        rate["irValue"], rate["irUnits"] = (int(value) if value.is_integer() else value), "MBPS"


def limited_to(config: dict[str, Any], max_mbps: float) -> dict[str, Any] | None:
    """A copy of the configuration asking for at most `max_mbps`; None when it cannot be cut down."""
    wanted = requested_mbps(config)
    if wanted is None or wanted <= max_mbps:
        return None
    out = copy.deepcopy(config)
    urn = out.get("@type")
    if urn == ACCESS_ELINE:
        factor = max_mbps / wanted
        for group in _ael_groups(out):
            for flow in group:
                for key in ("cir", "eir", "cirMax", "eirMax"):
                    _scale_rate(flow.get(key), factor)
    elif urn == OPERATOR_UNI:
        links = list(_flows(out.get("listOfPhysicalLinks")))
        per_link = max_mbps / len(links) if out.get("linkAggregation") == "ALL_ACTIVE" else max_mbps
        port = next((name for speed, name in _PORTS if speed <= per_link), None)
        if port is None:
            return None
        for link in links:
            link["physicalLink"] = port
    elif urn == INTERNET_ACCESS:
        for env in _ia_envelopes(out):
            for key in ("cir", "maxIr"):
                rate = env.get(key)
                if isinstance(rate, dict) and rate_mbps(rate) > max_mbps:
                    rate["irValue"], rate["irUnits"] = max_mbps, "MBPS"
    else:
        return None
    after = requested_mbps(out)
    return out if after is not None and after <= max_mbps + 1e-6 else None
