"""Design of a segment on our network: which two service interface points its connectivity service joins.

Pure rules over the controller's inventory. A place names a site (GeographicSiteRef), an address
(GeographicAddressRef) or a city and country (FieldedAddress), or directly a service interface point's
uuid; a service interface point is configured with the site, address, city and country it serves and a
role: `access` (faces customers and partners) or `hub` (where our core meets a city).

- two places: one point per place;
- one place (an access segment): the point serving the place, and the hub of its city (else of its
  country, else the only hub we have);
- no place (a core segment between the customer's places, as the orchestrator plans it): our two hubs.
  With more than two hubs a core segment cannot be laid without places, and the design says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from counterpoint.core.service_order.ports import ServiceInterfacePoint

HUB = "hub"


class DesignFailed(Exception):
    """The segment cannot be laid on our network; `reason` names the place and why."""

    def __init__(self, reason: str, *, code: str = "referenceNotFound", path: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.path = path


@dataclass(frozen=True, slots=True)
class Design:
    name: str  # the connectivity service name: creation is idempotent by it
    end_points: tuple[str, ...]  # service-interface-point uuids
    capacity_mbps: int


def describe_place(place: dict[str, Any]) -> str:
    kind = place.get("@type", "place")
    if kind == "FieldedAddress":
        where = ", ".join(str(place[k]) for k in ("city", "country") if place.get(k))
        return f"FieldedAddress {where or '(no city)'}"
    return f"{kind} {place.get('id', '(no id)')}"


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and str(a).casefold() == str(b).casefold()


def serves(sip: ServiceInterfacePoint, place: dict[str, Any]) -> bool:
    """Whether this service interface point is one the place may land on."""
    kind, pid = place.get("@type"), place.get("id")
    if pid and pid == sip.uuid:
        return True
    if kind == "GeographicSiteRef":
        return _same(pid, sip.site_id)
    if kind == "GeographicAddressRef":
        return _same(pid, sip.address_id)
    if kind == "FieldedAddress":
        if not _same(place.get("city"), sip.city):
            return False
        return not place.get("country") or not sip.country or _same(place.get("country"), sip.country)
    return False


def _roomiest(candidates: Sequence[ServiceInterfacePoint], capacity_mbps: int) -> ServiceInterfacePoint:
    """One with room for the capacity, most room first; when none has room the roomiest still, so the
    controller refuses it with the capacity it has."""
    roomy = [s for s in candidates if s.available_mbps >= capacity_mbps]
    return max(roomy or candidates, key=lambda s: (s.available_mbps, s.uuid))


def choose(sips: Sequence[ServiceInterfacePoint], place: dict[str, Any], capacity_mbps: int,
           taken: set[str]) -> ServiceInterfacePoint | None:
    """The best point for a place; access points before hubs."""
    candidates = [s for s in sips if serves(s, place) and s.uuid not in taken]
    if not candidates:
        return None
    access = [s for s in candidates if s.role != HUB]
    return _roomiest(access or candidates, capacity_mbps)


def hub_for(sips: Sequence[ServiceInterfacePoint], end: ServiceInterfacePoint,
            capacity_mbps: int) -> ServiceInterfacePoint | None:
    hubs = [s for s in sips if s.role == HUB and s.uuid != end.uuid]
    for near in ([h for h in hubs if _same(h.city, end.city)], [h for h in hubs if _same(h.country, end.country)]):
        if near:
            return _roomiest(near, capacity_mbps)
    return hubs[0] if len(hubs) == 1 else None


def design_segment(*, name: str, places: Sequence[dict[str, Any]], capacity_mbps: int,
                   sips: Sequence[ServiceInterfacePoint], base_path: str = "/service/place") -> Design:
    """Pick the two end points; raises DesignFailed naming the place (or the missing hub) when it cannot."""
    if len(places) > 2:
        raise DesignFailed(f"a segment joins at most two places; {len(places)} given", code="invalidValue",
                           path=base_path)
    if not places:
        hubs = [s for s in sips if s.role == HUB]
        if len(hubs) != 2:
            raise DesignFailed(f"a core segment without places runs between our two hubs; {len(hubs)} hub(s) "
                               "configured", code="otherIssue", path=base_path)
        return Design(name=name, end_points=(hubs[0].uuid, hubs[1].uuid), capacity_mbps=capacity_mbps)
    chosen: list[ServiceInterfacePoint] = []
    for i, place in enumerate(places):
        sip = choose(sips, place, capacity_mbps, {s.uuid for s in chosen})
        if sip is None:
            why = ("its only service interface point is already the other end"
                   if any(serves(s, place) for s in sips) else "no service interface point of ours serves it")
            raise DesignFailed(f"place {i} ({describe_place(place)}): {why}", path=f"{base_path}/{i}")
        chosen.append(sip)
    if len(chosen) == 1:
        hub = hub_for(sips, chosen[0], capacity_mbps)
        if hub is None:
            raise DesignFailed(f"place 0 ({describe_place(places[0])}): no hub of ours in {chosen[0].city or '?'}"
                               f" or {chosen[0].country or '?'} to join it to", code="otherIssue",
                               path=f"{base_path}/0")
        chosen.append(hub)
    return Design(name=name, end_points=tuple(s.uuid for s in chosen), capacity_mbps=capacity_mbps)
