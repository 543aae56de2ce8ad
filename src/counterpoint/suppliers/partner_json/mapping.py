"""The partner-json vocabulary translated both ways: our neutral requests out, its words and times back in.

Inbound translation never raises on an unknown word: a circuit status we do not know is UNRECOGNISED (the
core records it and acts on nothing); a feasibility result or price status we do not know becomes the answer
that commits us to nothing (FAILED, UNABLE, PENDING). A document without the partner's id of the resource
is malformed (`MalformedAnswer`): we cannot say what it is about.

    partner circuit status   SegmentState
    RECEIVED                 ACKNOWLEDGED
    DESIGN                   IN_DELIVERY
    BUILD                    IN_DELIVERY
    REGRADE_IN_PROGRESS      IN_DELIVERY
    ON_HOLD_CUSTOMER         AWAITING_BUYER (hold_reason -> required_action)
    READY_FOR_SERVICE        DELIVERED (service_id -> product_ref)
    CANCEL_PENDING           CANCELLING
    CANCELLED                CANCELLED
    DECLINED                 REJECTED
    FAILED                   FAILED
    anything else            UNRECOGNISED

    partner fault status     TicketState
    LOGGED                   OPEN
    TRIAGE                   INVESTIGATING
    ENGINEER_ASSIGNED        INVESTIGATING (visit.required and not booked -> a work order that needs a visit)
    AWAITING_CUSTOMER        WAITING_FOR_BUYER (question -> information_required)
    CLEARED                  RESOLVED (cleared_ms -> resolved_at)
    REOPENED                 INVESTIGATING, reopened
    CLOSED                   CLOSED
    WITHDRAWN                CANCELLED
    anything else            UNRECOGNISED
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from counterpoint.core.orchestration.supply import (
    CancellationOutcome,
    Observation,
    Price,
    QualificationAnswer,
    QualificationState,
    QuoteAnswer,
    QuoteState,
    SegmentState,
    Source,
)
from counterpoint.core.orchestration.ticket_supply import (
    AppointmentAnswer,
    Slot,
    TicketNote,
    TicketObservation,
    TicketState,
    WorkOrderView,
)
from counterpoint.core.ordering.payload import bandwidth_mbps
from counterpoint.core.shared.ids import ExternalRef

SPEED_TIERS: tuple[int, ...] = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)

CIRCUIT_STATES: dict[str, SegmentState] = {
    "RECEIVED": SegmentState.ACKNOWLEDGED,
    "DESIGN": SegmentState.IN_DELIVERY,
    "BUILD": SegmentState.IN_DELIVERY,
    "REGRADE_IN_PROGRESS": SegmentState.IN_DELIVERY,
    "ON_HOLD_CUSTOMER": SegmentState.AWAITING_BUYER,
    "READY_FOR_SERVICE": SegmentState.DELIVERED,
    "CANCEL_PENDING": SegmentState.CANCELLING,
    "CANCELLED": SegmentState.CANCELLED,
    "DECLINED": SegmentState.REJECTED,
    "FAILED": SegmentState.FAILED,
}

FAULT_STATES: dict[str, TicketState] = {
    "LOGGED": TicketState.OPEN,
    "TRIAGE": TicketState.INVESTIGATING,
    "ENGINEER_ASSIGNED": TicketState.INVESTIGATING,
    "AWAITING_CUSTOMER": TicketState.WAITING_FOR_BUYER,
    "CLEARED": TicketState.RESOLVED,
    "REOPENED": TicketState.INVESTIGATING,
    "CLOSED": TicketState.CLOSED,
    "WITHDRAWN": TicketState.CANCELLED,
}

FEASIBILITY: dict[str, QualificationState] = {
    "CHECKING": QualificationState.PENDING,
    "FEASIBLE": QualificationState.SERVICEABLE,
    "NOT_FEASIBLE": QualificationState.NOT_SERVICEABLE,
}

PRICE_STATES: dict[str, QuoteState] = {
    "PENDING_SURVEY": QuoteState.PENDING,
    "QUOTED": QuoteState.FIRM,
    "INDICATIVE": QuoteState.BUDGETARY,
    "NO_PRICE": QuoteState.UNABLE,
    "LAPSED": QuoteState.EXPIRED,
    "USED": QuoteState.ACCEPTED,
}

CANCEL_DECISIONS: dict[str, CancellationOutcome] = {
    "ACCEPTED": CancellationOutcome.ACCEPTED,
    "DENIED": CancellationOutcome.REFUSED,
}


class MalformedAnswer(ValueError):
    """The partner answered with a document we cannot read (no id, not an object)."""


class NotTranslatable(ValueError):
    """Our request cannot be said in the partner's words (no street address, no speed, unknown action)."""


# ---- words -------------------------------------------------------------------------------------------------


def segment_state(raw: Any) -> SegmentState:
    return CIRCUIT_STATES.get(str(raw), SegmentState.UNRECOGNISED)


def qualification_state(raw: Any) -> QualificationState:
    """Unknown results are FAILED: the partner gave no answer we can use."""
    return FEASIBILITY.get(str(raw), QualificationState.FAILED)


def quote_state(raw: Any) -> QuoteState:
    """Unknown statuses are UNABLE: nothing we could order from."""
    return PRICE_STATES.get(str(raw), QuoteState.UNABLE)


def cancellation_outcome(raw: Any) -> CancellationOutcome:
    """Unknown decisions are PENDING: not yet a yes or a no."""
    return CANCEL_DECISIONS.get(str(raw), CancellationOutcome.PENDING)


# ---- times and numbers ---------------------------------------------------------------------------------------


def to_utc(value: Any) -> datetime | None:
    """A partner time as an aware UTC datetime, or None when it is not one.

    Epoch milliseconds (number or digit string), "YYYY-MM-DD HH:MM:SS" without a zone (the partner documents
    every time as UTC), ISO 8601 with a zone or `Z`, and plain dates (midnight UTC) are understood.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_ms(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.lstrip("-").isdigit():
        return _from_ms(int(text))
    if text.upper().endswith(" UTC"):
        text = text[:-4]
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _from_ms(value: float) -> datetime | None:
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
    except (OverflowError, ValueError):
        return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def optional_text(value: Any) -> str | None:
    """A value as text, None when absent or empty."""
    return str(value) if value not in (None, "") else None


def require_id(body: Any, key: str) -> str:
    """The partner's id of the resource a document is about; MalformedAnswer without one."""
    if not isinstance(body, dict) or not optional_text(body.get(key)):
        raise MalformedAnswer(f"answer has no {key}")
    return str(body[key])


# ---- inbound documents -------------------------------------------------------------------------------------------


def observe_circuit(body: Any, *, provider: str, source: Source, observed_at: datetime,
                    our_ref: str | None = None) -> Observation:
    """A circuit document (GET, create, search, cancel answer) as an Observation."""
    circuit_id = require_id(body, "circuit_id")
    raw = str(body.get("status") or "")
    state = segment_state(raw)
    revision = _int(body.get("revision"))
    service_id = optional_text(body.get("service_id"))
    return Observation(
        state=state, raw_state=raw, ref=ExternalRef(provider, circuit_id), source=source, observed_at=observed_at,
        as_of=to_utc(body.get("status_since_ms")), our_ref=our_ref or optional_text(body.get("customer_ref")),
        expected_completion=to_utc(body.get("forecast_ready_date")),
        required_action=optional_text(body.get("hold_reason")) if state is SegmentState.AWAITING_BUYER else None,
        reason=optional_text(body.get("status_reason")),
        evidence=f"{circuit_id}@r{revision}" if revision is not None else None,
        product_ref=ExternalRef(provider, service_id, "product") if service_id else None,
        detail={"revision": revision, "speed_mbps": _int(body.get("speed_mbps"))},
    )


def observe_event(event: Any, *, provider: str, observed_at: datetime) -> Observation:
    """A webhook event as an Observation: as_of is when the status began, evidence the event id."""
    circuit_id = require_id(event, "circuit_id")
    raw = str(event.get("status") or "")
    state = segment_state(raw)
    service_id = optional_text(event.get("service_id"))
    return Observation(
        state=state, raw_state=raw, ref=ExternalRef(provider, circuit_id), source=Source.CALLBACK,
        observed_at=observed_at, as_of=to_utc(event.get("occurred_at")),
        our_ref=optional_text(event.get("customer_ref")),
        expected_completion=to_utc(event.get("forecast_ready_date")),
        required_action=optional_text(event.get("hold_reason")) if state is SegmentState.AWAITING_BUYER else None,
        reason=optional_text(event.get("status_reason")), evidence=optional_text(event.get("event_id")),
        product_ref=ExternalRef(provider, service_id, "product") if service_id else None,
        detail={"revision": _int(event.get("revision"))},
    )


def qualification_answer(body: Any, *, provider: str, observed_at: datetime) -> QualificationAnswer:
    feasibility_id = require_id(body, "feasibility_id")
    raw = str(body.get("result") or "")
    state = qualification_state(raw)
    reason = optional_text(body.get("reason"))
    if raw not in FEASIBILITY:
        reason = reason or f"unrecognised feasibility result {raw!r}"
    return QualificationAnswer(ref=ExternalRef(provider, feasibility_id, "poq"), state=state, raw_state=raw,
                               observed_at=observed_at, installation_days=_int(body.get("install_days")),
                               reason=reason)


def quote_answer(body: Any, *, provider: str, observed_at: datetime) -> QuoteAnswer:
    price_request_id = require_id(body, "price_request_id")
    raw = str(body.get("status") or "")
    state = quote_state(raw)
    nrc, mrc = _money(body.get("setup_fee")), _money(body.get("monthly_fee"))
    currency = optional_text(body.get("currency"))
    price = Price(nrc=nrc, mrc=mrc, currency=currency) if nrc is not None and mrc is not None and currency else None
    reason = optional_text(body.get("reason"))
    if raw not in PRICE_STATES:
        reason = reason or f"unrecognised price status {raw!r}"
    return QuoteAnswer(ref=ExternalRef(provider, price_request_id, "quote"), state=state, raw_state=raw,
                       observed_at=observed_at, price=price, term_months=_int(body.get("term_months")),
                       lead_time_days=_int(body.get("lead_days")), valid_until=to_utc(body.get("valid_until")),
                       reason=reason)


# ---- outbound -------------------------------------------------------------------------------------------------------


def site_of(places: list[dict[str, Any]]) -> dict[str, Any]:
    """The partner's site from our MEF places: the install location's FieldedAddress (only kind it reads)."""
    fielded = [p for p in places if isinstance(p, dict) and p.get("@type") == "FieldedAddress"]
    if not fielded:
        kinds = sorted({str(p.get("@type")) for p in places if isinstance(p, dict)}) or ["none"]
        raise NotTranslatable(f"the partner needs a FieldedAddress place, got {', '.join(kinds)}")
    place = next((p for p in fielded if p.get("role") in (None, "INSTALL_LOCATION")), fielded[0])
    street = " ".join(str(place[k]).strip() for k in ("streetNr", "streetNrSuffix", "streetName", "streetType",
                                                      "streetSuffix") if place.get(k))
    line1 = street or optional_text(place.get("addrLine1"))  # not a MEF field, but seen in the wild
    town = optional_text(place.get("city")) or optional_text(place.get("locality"))
    country = (optional_text(place.get("country")) or "").strip().upper()
    missing = [name for name, value in (("street", line1), ("city", town)) if not value]
    if len(country) != 2 or not country.isalpha():
        missing.append("two-letter country")
    if missing:
        raise NotTranslatable(f"the FieldedAddress lacks {', '.join(missing)}")
    site: dict[str, Any] = {"line1": line1, "town": town, "country_code": country}
    if (line2 := optional_text(place.get("locality"))) and line2 != town:
        site["line2"] = line2
    if region := optional_text(place.get("stateOrProvince")):
        site["region"] = region
    if postcode := optional_text(place.get("postcode")):
        site["postcode"] = postcode
    return site


def speed_of(bandwidth: int | None, configuration: dict[str, Any] | None) -> int:
    """The partner speed tier to ask for: the smallest tier at least as fast as our need.

    Above the top tier the need is passed as it is, so the partner answers for itself (it declines).
    """
    need = bandwidth if bandwidth else bandwidth_mbps(configuration)
    if not need or need <= 0:
        raise NotTranslatable("no bandwidth: neither bandwidth_mbps nor a committed rate in the configuration")
    return next((tier for tier in SPEED_TIERS if tier >= need), need)


def ready_by(at: datetime | None) -> str | None:
    """Our requested completion as the partner's ready-by date (the UTC calendar day)."""
    if at is None:
        return None
    day: date = at.astimezone(UTC).date() if at.tzinfo else at.date()
    return day.isoformat()


# ---- faults (the partner's tickets) and their visits ------------------------------------------------------------


def observe_fault(body: Any, *, provider: str, source: Source, observed_at: datetime,
                  evidence: str | None = None) -> TicketObservation:
    """A TicketObservation of a partner fault (a document or a webhook event: both carry the status)."""
    fault_id = require_id(body, "fault_id")
    word = str(body.get("status") or "")
    state = FAULT_STATES.get(word, TicketState.UNRECOGNISED)
    visit = body.get("visit") if isinstance(body.get("visit"), dict) else None
    notes = tuple(TicketNote(id=str(m.get("message_id")), text=str(m.get("body") or ""), author=str(m.get("from")),
                             source="seller" if m.get("from") == "PARTNER" else "buyer", at=to_utc(m.get("sent_ms")))
                  for m in body.get("messages") or [] if isinstance(m, dict) and m.get("message_id"))
    since = to_utc(body.get("status_since_ms") if "status_since_ms" in body else body.get("occurred_at"))
    return TicketObservation(
        state=state, raw_state=word, ref=ExternalRef(provider, fault_id, "troubleTicket"), source=source,
        observed_at=observed_at, as_of=since, our_ref=optional_text(body.get("customer_ref")),
        reopened=word == "REOPENED",
        information_required=(optional_text(body.get("question")) or "information (no detail given)")
        if state is TicketState.WAITING_FOR_BUYER else None,
        resolved_at=to_utc(body.get("cleared_ms")) if state is TicketState.RESOLVED else None, notes=notes,
        # the partner's visit is its work order; it is named after the fault
        work_orders=(ExternalRef(provider, fault_id, "workOrder"),) if visit and visit.get("required") else (),
        reason=None if state is not TicketState.UNRECOGNISED else f"unrecognised fault status {word!r}",
        evidence=evidence or f"fault/{fault_id}/r{body.get('revision')}")


def visit_of(body: Any, *, provider: str, observed_at: datetime) -> WorkOrderView:
    fault_id = require_id(body, "fault_id")
    visit = body.get("visit") if isinstance(body.get("visit"), dict) else {}
    booked = visit.get("booked_start_ms") is not None
    return WorkOrderView(ref=ExternalRef(provider, fault_id, "workOrder"), raw_state=str(body.get("status") or ""),
                         appointment_required=bool(visit.get("required")),
                         appointments=(ExternalRef(provider, fault_id, "appointment"),) if booked else (),
                         observed_at=observed_at, duration_minutes=120 if visit.get("required") else None)


def slots_of(body: Any) -> list[Slot]:
    out = []
    for raw in (body.get("slots") if isinstance(body, dict) else None) or []:
        if not isinstance(raw, dict):
            continue
        start, end = to_utc(raw.get("start_ms")), to_utc(raw.get("end_ms"))
        if start and end and end > start:
            out.append(Slot(start, end))
    return out


def booked_visit(body: Any, *, provider: str, observed_at: datetime) -> AppointmentAnswer | None:
    fault_id = require_id(body, "fault_id")
    visit = body.get("visit") if isinstance(body.get("visit"), dict) else {}
    start, end = to_utc(visit.get("booked_start_ms")), to_utc(visit.get("booked_end_ms"))
    if start is None or end is None:
        return None
    return AppointmentAnswer(ref=ExternalRef(provider, fault_id, "appointment"),
                             work_order=ExternalRef(provider, fault_id, "workOrder"), raw_state="BOOKED",
                             slot=Slot(start, end), observed_at=observed_at)


def impact_of(observed_impact: str) -> str:
    return {"down": "OUTAGE", "degraded": "DEGRADED", "intermittent": "INTERMITTENT"}.get(observed_impact, "OUTAGE")
