"""Builders of MEF request bodies for the tests (valid against the envelopes and product schemas)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

_CONFIGS = json.loads((Path(__file__).parent / "fixtures" / "product_configurations.json").read_text())
ORDER_BASE = "/mefApi/sonata/productOrderingManagement/v10"
CANTATA_ORDER_BASE = "/mefApi/cantata/productOrderingManagement/v5"
INVENTORY_BASE = "/mefApi/sonata/productInventory/v7"


def ael_config(cir_mbps: int | None = None) -> dict[str, Any]:
    config = copy.deepcopy(_CONFIGS["accessEline"])
    if cir_mbps is not None:
        config["uniEp"]["ingressBandwidthProfilePerEndPoint"] = {
            "cir": {"irValue": cir_mbps, "irUnits": "MBPS"}, "cirMax": {"irValue": cir_mbps, "irUnits": "MBPS"},
            "eir": {"irValue": 0, "irUnits": "MBPS"}, "eirMax": {"irValue": 0, "irUnits": "MBPS"},
            "cbs": {"dataSizeValue": 12, "dataSizeUnits": "KBYTES"},
            "ebs": {"dataSizeValue": 0, "dataSizeUnits": "KBYTES"},
            "couplingFlag": False, "colorMode": "COLOR_BLIND"}
    return config


def uni_config() -> dict[str, Any]:
    return copy.deepcopy(_CONFIGS["operatorUni"])


def contacts() -> list[dict[str, Any]]:
    return copy.deepcopy(_CONFIGS["relatedContactInformation"])


def add_item(item_id: str = "1", *, offering: str = "ael-sg", address: str = "addr-sg-raffles",
             config: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": item_id, "action": "add", "product": {
        "productOffering": {"id": offering},
        "productConfiguration": config if config is not None else ael_config(),
        "place": [{"@type": "GeographicAddressRef", "id": address, "role": "INSTALL_LOCATION"}]}, **extra}


def change_item(item_id: str, action: str, product_id: str, *, config: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    product: dict[str, Any] = {"id": product_id}
    if config is not None:
        product["productConfiguration"] = config
    return {"id": item_id, "action": action, "product": product}


def order_body(*items: dict[str, Any], external_id: str = "PO-1", **extra: Any) -> dict[str, Any]:
    return {"externalId": external_id, "relatedContactInformation": contacts(),
            "productOrderItem": list(items) or [add_item()], **extra}
