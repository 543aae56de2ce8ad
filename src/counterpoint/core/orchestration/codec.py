"""Neutral requests and observations as JSON, for the command store and the evidence log."""

from __future__ import annotations

from typing import Any

from counterpoint.core.orchestration.supply import SegmentRequest
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.core.shared.times import iso, parse_aware


def ref_json(ref: ExternalRef | None) -> dict[str, str] | None:
    return {"provider": ref.provider, "kind": ref.kind, "id": ref.value} if ref else None


def ref_from(raw: dict[str, Any] | None) -> ExternalRef | None:
    return ExternalRef(raw["provider"], raw["id"], raw.get("kind", "productOrder")) if raw else None


def request_json(req: SegmentRequest) -> dict[str, Any]:
    return {
        "ourRef": req.our_ref, "correlationId": req.correlation_id, "action": req.action,
        "offeringId": req.offering_id, "specUrn": req.spec_urn, "configuration": req.configuration,
        "places": req.places, "bandwidthMbps": req.bandwidth_mbps,
        "requestedCompletion": iso(req.requested_completion) if req.requested_completion else None,
        "productRef": ref_json(req.product_ref), "quoteRef": ref_json(req.quote_ref),
        "quoteItemId": req.quote_item_id, "poqRef": ref_json(req.poq_ref), "poqItemId": req.poq_item_id,
        "note": req.note, "termMonths": req.term_months,
    }


def request_from(raw: dict[str, Any]) -> SegmentRequest:
    return SegmentRequest(
        our_ref=raw["ourRef"], correlation_id=raw["correlationId"], action=raw["action"],
        offering_id=raw["offeringId"], spec_urn=raw.get("specUrn"), configuration=raw.get("configuration") or {},
        places=raw.get("places") or [], bandwidth_mbps=raw.get("bandwidthMbps"),
        requested_completion=parse_aware(raw.get("requestedCompletion")),
        product_ref=ref_from(raw.get("productRef")), quote_ref=ref_from(raw.get("quoteRef")),
        quote_item_id=raw.get("quoteItemId"), poq_ref=ref_from(raw.get("poqRef")), poq_item_id=raw.get("poqItemId"),
        note=raw.get("note"), term_months=raw.get("termMonths"),
    )
