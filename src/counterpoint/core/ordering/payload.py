"""What an order item's product payload says that the Seller's rules read."""

from __future__ import annotations

from typing import Any


def bandwidth_mbps(config: dict[str, Any] | None) -> int | None:
    """The largest committed rate an Access E-Line / UNI / Internet Access payload asks for, in Mb/s."""
    if not config:
        return None
    best: float | None = None

    def walk(node: Any) -> None:
        nonlocal best
        if isinstance(node, dict):
            for key in ("cir", "cirMax", "ipvcBandwidth", "bandwidth"):
                value = node.get(key)
                if not isinstance(value, dict):
                    continue
                amount = value.get("irValue", value.get("amount"))
                if isinstance(amount, int | float) and not isinstance(amount, bool):
                    unit = str(value.get("irUnits", value.get("units", "MBPS"))).upper()
                    scale = {"BPS": 1e-6, "KBPS": 1e-3, "MBPS": 1, "GBPS": 1e3, "TBPS": 1e6}.get(unit, 1)
                    mbps = amount * scale
                    best = mbps if best is None else max(best, mbps)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(config)
    return int(best) if best is not None else None
