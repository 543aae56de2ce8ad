"""The partner's works (planned works and service-affecting problems on live services), read as our neutral
`SupplierNotice`: its words, its epoch-millisecond times and its service ids become ours here and nowhere else.

    kind     PLANNED -> maintenance        UNPLANNED -> impairment
    status   SCHEDULED -> announced        IN_PROGRESS -> ongoing        COMPLETED, CANCELLED -> ended
    effect   OUTAGE -> outage              DEGRADED -> degraded          INTERMITTENT -> intermittent
    service_ids: the live services (our segments' product references, kind "product")
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from counterpoint.core.orchestration.supply import NoticeImpact, NoticeKind, NoticeState, SupplierNotice
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.suppliers.partner_json.mapping import optional_text, require_id, to_utc

STATES = {"SCHEDULED": NoticeState.ANNOUNCED, "IN_PROGRESS": NoticeState.ONGOING,
          "COMPLETED": NoticeState.ENDED, "CANCELLED": NoticeState.ENDED}
KINDS = {"PLANNED": NoticeKind.MAINTENANCE, "UNPLANNED": NoticeKind.IMPAIRMENT}
EFFECTS = {"OUTAGE": NoticeImpact.OUTAGE, "DEGRADED": NoticeImpact.DEGRADED,
           "INTERMITTENT": NoticeImpact.INTERMITTENT}


def works_notice(body: Any, *, provider: str, observed_at: datetime, evidence: str | None = None
                 ) -> SupplierNotice:
    works_id = require_id(body, "works_id")
    raw = str(body.get("status") or "")
    state = STATES.get(raw, NoticeState.UNRECOGNISED)
    updated = to_utc(body.get("updated_ms"))
    return SupplierNotice(
        ref=ExternalRef(provider, works_id, "incident"),
        kind=KINDS.get(str(body.get("kind")), NoticeKind.IMPAIRMENT),
        state=state, raw_state=raw,
        impact=EFFECTS.get(str(body.get("effect")), NoticeImpact.OUTAGE),
        products=tuple(ExternalRef(provider, str(s), "product") for s in body.get("service_ids") or []
                       if optional_text(s)),
        observed_at=observed_at, description=str(body.get("summary") or "")[:2000],
        starts_at=to_utc(body.get("starts_ms")), expected_end=to_utc(body.get("ends_ms")),
        ended_at=updated if state is NoticeState.ENDED else None, evidence=evidence,
        detail={"revision": body.get("revision"), "kind": body.get("kind")},
    )
