"""Base paths and versions of every MEF function we serve, per interface (from the envelopes' servers)."""

from __future__ import annotations

# function -> {channel: "name/vN"}
BASE: dict[str, dict[str, str]] = {
    "geographicAddress": {"sonata": "geographicAddressManagement/v7", "cantata": "geographicAddressManagement/v1"},
    "geographicSite": {"sonata": "geographicSiteManagement/v7", "cantata": "geographicSiteManagement/v1"},
    "poq": {"sonata": "productOfferingQualification/v7", "cantata": "productOfferingQualification/v1"},
    "quote": {"sonata": "quoteManagement/v8", "cantata": "quoteManagement/v2"},
    "productOrder": {"sonata": "productOrderingManagement/v10", "cantata": "productOrderingManagement/v5"},
    "productInventory": {"sonata": "productInventory/v7", "cantata": "productInventory/v1"},
}

# Notification (listener) base paths, on the Buyer's side.
LISTENER: dict[str, dict[str, str]] = {
    "poq": {"sonata": "productOfferingQualificationNotification/v7",
            "cantata": "productOfferingQualificationNotification/v1"},
    "quote": {"sonata": "quoteNotification/v8", "cantata": "quoteNotification/v2"},
    "productOrder": {"sonata": "productOrderingNotification/v10", "cantata": "productOrderingNotification/v5"},
}


def base_path(function: str, channel: str) -> str:
    return f"/mefApi/{channel}/{BASE[function][channel]}"


def listener_path(api: str, channel: str) -> str:
    return f"/mefApi/{channel}/{LISTENER[api][channel]}"
