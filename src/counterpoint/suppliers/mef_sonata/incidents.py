"""A MEF 124 incident of a Sonata supplier, read as our neutral `SupplierNotice` (the anti-corruption layer's
share for maintenance and impairment notices)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from counterpoint.core.orchestration.supply import NoticeImpact, NoticeKind, NoticeState, SupplierNotice
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.core.shared.times import parse_aware
from counterpoint.suppliers.mef_sonata.mapping import UnreadableAnswer

STATES = {"created": NoticeState.ANNOUNCED, "inProgress": NoticeState.ONGOING, "closed": NoticeState.ENDED}
KINDS = {"maintenance": NoticeKind.MAINTENANCE, "repair": NoticeKind.IMPAIRMENT,
         "installation": NoticeKind.IMPAIRMENT}
IMPACTS = {"down": NoticeImpact.OUTAGE, "degraded": NoticeImpact.DEGRADED,
           "intermittent": NoticeImpact.INTERMITTENT}


def notice(doc: Any, *, provider: str, at: datetime) -> SupplierNotice:
    """An Incident (or Incident_Find) document. Words we do not know are kept raw and read cautiously: an unknown
    status as announced, an unknown type as an impairment, an unknown impact as an outage."""
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) or not doc["id"]:
        raise UnreadableAnswer("an incident without an id")
    raw = str(doc.get("status") or "")
    products = tuple(ExternalRef(provider, e["id"], "product") for e in doc.get("relatedEntity") or []
                     if isinstance(e, dict) and isinstance(e.get("id"), str) and e["id"]
                     and e.get("@referredType", "Product") == "Product")
    return SupplierNotice(
        ref=ExternalRef(provider, doc["id"], "incident"),
        kind=KINDS.get(str(doc.get("incidentType")), NoticeKind.IMPAIRMENT),
        state=STATES.get(raw, NoticeState.UNRECOGNISED), raw_state=raw,
        impact=IMPACTS.get(str(doc.get("impact")), NoticeImpact.OUTAGE),
        products=products, observed_at=at,
        description=str(doc.get("description") or "")[:2000],
        starts_at=parse_aware(doc.get("situationStartDate")),
        expected_end=parse_aware(doc.get("expectedClosedDate")),
        ended_at=parse_aware(doc.get("closedDate")),
        evidence=doc.get("href") if isinstance(doc.get("href"), str) else None,
        detail={k: doc[k] for k in ("incidentType", "impact", "priority", "severity") if k in doc},
    )
