"""Request bodies for the serviceability tests, valid against the MEF envelopes and product schemas."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.seller.model import ACCESS_ELINE, INTERNET_ACCESS, OPERATOR_UNI

POQ_BASE = "/mefApi/sonata/productOfferingQualification/v7"
CANTATA_POQ_BASE = "/mefApi/cantata/productOfferingQualification/v1"
ADDRESS_BASE = "/mefApi/sonata/geographicAddressManagement/v7"
CANTATA_ADDRESS_BASE = "/mefApi/cantata/geographicAddressManagement/v1"
SITE_BASE = "/mefApi/sonata/geographicSiteManagement/v7"
CANTATA_SITE_BASE = "/mefApi/cantata/geographicSiteManagement/v1"


def rate(mbps: float) -> dict[str, Any]:
    return {"irValue": mbps, "irUnits": "MBPS"}


def ael(mbps: float = 100, *, eir: float = 0) -> dict[str, Any]:
    """An Access E-Line OVC asking for `mbps` committed (+ `eir` excess) at the UNI end point."""
    flow = {
        "cir": rate(mbps),
        "eir": rate(eir),
        "cirMax": rate(mbps),
        "eirMax": rate(eir),
        "cbs": {"dataSizeValue": 12, "dataSizeUnits": "KBYTES"},
        "ebs": {"dataSizeValue": 0, "dataSizeUnits": "KBYTES"},
        "couplingFlag": False,
        "colorMode": "COLOR_BLIND",
        "envelopeRank": 1,
        "tokenRequestOffset": 0,
    }
    return {
        "@type": ACCESS_ELINE,
        "maximumFrameSize": 1526,
        "listOfClassOfServiceNames": ["gold"],
        "uniEp": {
            "identifier": "uni-end",
            "ingressBandwidthProfilePerClassOfServiceName": [{"classOfServiceName": "gold", "bwpFlow": flow}],
        },
        "enniEp": {"identifier": "enni-end"},
    }


def uni(port: str = "1000BASE_LX", *, links: int = 1, lag: str = "NONE") -> dict[str, Any]:
    return {
        "@type": OPERATOR_UNI,
        "linkAggregation": lag,
        "listOfPhysicalLinks": [{"id": str(n), "physicalLink": port} for n in range(1, links + 1)],
    }


def internet(max_mbps: float = 100, cir_mbps: float = 50) -> dict[str, Any]:
    env = {"cir": rate(cir_mbps), "maxIr": rate(max_mbps)}
    return {
        "@type": INTERNET_ACCESS,
        "ipvc": {"ipvcEndPoint": {"ingressBandwidthProfileEnvelope": [env]}},
        "ipUni": {},
        "ipUniAccessLink": {},
        "ipUniAccessLinkTrunk": {},
    }


def buyer_contact() -> dict[str, Any]:
    return {
        "role": "buyerContactInformation",
        "name": "Ana Buyer",
        "emailAddress": "ana@buyer.example",
        "number": "+65 6000 0000",
        "organization": "Archipelago Telecom",
    }


def address_ref(address_id: str = "addr-sg-raffles") -> dict[str, Any]:
    return {"@type": "GeographicAddressRef", "id": address_id, "role": "INSTALL_LOCATION"}


def site_ref(site_id: str) -> dict[str, Any]:
    return {"@type": "GeographicSiteRef", "id": site_id, "role": "INSTALL_LOCATION"}


def item(
    item_id: str = "1",
    *,
    offering: str | None = "uni-sg",
    config: dict[str, Any] | None = None,
    place: dict[str, Any] | None | bool = True,
    action: str = "add",
    **extra: Any,
) -> dict[str, Any]:
    product: dict[str, Any] = {"productConfiguration": config if config is not None else uni()}
    if offering is not None:
        product["productOffering"] = {"id": offering}
    if place is True:
        product["place"] = [address_ref()]
    elif place:
        product["place"] = [place]
    return {"id": item_id, "action": action, "product": product, **extra}


def poq(
    *items: dict[str, Any],
    instant: bool = True,
    alternatives: bool = False,
    requested: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "instantSyncQualification": instant,
        "provideAlternative": alternatives,
        "relatedContactInformation": [buyer_contact()],
        "productOfferingQualificationItem": list(items) or [item()],
        **extra,
    }
    if requested is not None:
        body["requestedPOQCompletionDate"] = requested.isoformat().replace("+00:00", "Z")
    return body


def later(now: datetime, days: float) -> datetime:
    return now + timedelta(days=days)
