"""An in-memory emulator of "Fernway Fibre", a fictional last-mile partner with its own JSON API (not MEF).

It exists so the partner-json adapter (and our anti-corruption layer) can be tested over real HTTP against a
second API shape, with faults we can switch on. Nothing here is MEF: the words, the errors, the times and the
webhooks are the partner's own.

The partner's API (all under `/api/v2`, key in the `X-Api-Key` header; missing or wrong key -> 401):

    POST  /feasibility                {site, speed_mbps, reference?}                 -> 201 feasibility
    GET   /feasibility/{id}
    POST  /price-requests             {site, speed_mbps, term_months, reference?}    -> 201 price request
    GET   /price-requests/{id}
    POST  /circuits                   {customer_ref, a_end, speed_mbps, ready_by?, price_request_id?, notes?}
                                      -> 201 circuit (RECEIVED); 200 with the existing circuit when the
                                         customer_ref is already known (idempotent by customer_ref)
    GET   /circuits/{id}
    GET   /circuits?customer_ref=&service_id=&status=    -> {"circuits": [...], "total": n}
                                      (customer_ref also matches the change_ref of a speed change)
    PATCH /circuits/{id}              {speed_mbps, change_ref}   speed change (idempotent by change_ref)
    POST  /circuits/{id}/cancel       {reason, cancel_ref?}      -> {"decision": ACCEPTED|DENIED, reason, circuit}
    POST  /webhooks                   {url, secret}              -> 201 (200 when the url was registered: updated)
    GET   /webhooks                   DELETE /webhooks/{id}

Faults (the partner's trouble tickets, about a circuit or a live service):

    POST  /faults                     {customer_ref, circuit_id? | service_id?, summary, impact: OUTAGE|DEGRADED|
                                       INTERMITTENT, started_ms?}  -> 201 fault (LOGGED); 200 with the existing fault
                                       when the customer_ref is known (idempotent by customer_ref)
    GET   /faults/{id}                GET /faults?customer_ref=&status=   -> {"faults": [...], "total": n}
    POST  /faults/{id}/messages       {message_id, body}   a message to the partner (idempotent by message_id); one
                                      answering its question (AWAITING_CUSTOMER) sends the work on
    POST  /faults/{id}/confirm        the customer agrees the fault is cleared -> CLOSED
    POST  /faults/{id}/dispute        {reason}  the fault is not cleared -> REOPENED, then worked again
    POST  /faults/{id}/withdraw       the customer withdraws the fault -> WITHDRAWN
    GET   /faults/{id}/visit-slots    -> {"slots": [{"start_ms", "end_ms"}]} when an engineer must visit
    POST  /faults/{id}/visit          {start_ms}  books the visit in one of those slots -> fault

Fault statuses: LOGGED, TRIAGE, AWAITING_CUSTOMER (`question` says what it needs), ENGINEER_ASSIGNED (`visit`
{required, booked_start_ms, booked_end_ms} when someone must go on site), CLEARED (`cleared_ms`), REOPENED,
CLOSED, WITHDRAWN. Messages are [{message_id, from: PARTNER|CUSTOMER, body, sent_ms}]. Fault events go to the
same webhooks as {"event_id", "event_type": "fault.status_changed", "fault_id", "customer_ref", "status",
"revision", "occurred_at", "question"}.

A site is {"line1", "line2"?, "town", "region"?, "postcode"?, "country_code"} (two capital letters). Speeds
are sold in tiers (SPEED_TIERS) for price requests and circuits; feasibility takes any positive speed.

Circuit statuses (the partner's words):
    RECEIVED             order logged, not yet looked at
    DESIGN               planning the route
    BUILD                building (civil works, equipment)
    ON_HOLD_CUSTOMER     waiting for the customer (e.g. site access); `hold_reason` says what for
    READY_FOR_SERVICE    handed over; `service_id` names the live service
    REGRADE_IN_PROGRESS  a speed change on a live circuit is being made
    CANCEL_PENDING       cancellation (or cease, once live) accepted and under way
    CANCELLED            cancelled or ceased
    DECLINED             the partner refused the order (no coverage, too fast); `status_reason` says why
    FAILED               delivery failed; `status_reason` says why
Feasibility results: CHECKING, FEASIBLE, NOT_FEASIBLE.
Price request statuses: PENDING_SURVEY, QUOTED, INDICATIVE, NO_PRICE, LAPSED (past valid_until), USED (a
circuit consumed it).

Works (the partner's announcements of planned works and of service-affecting problems on live services):

    GET   /works/{id}                 GET /works?status=   -> {"works": [...], "total": n}
    POST  /_admin/works               {kind: PLANNED|UNPLANNED, service_ids, summary, effect: OUTAGE|DEGRADED|
                                       INTERMITTENT, starts_ms, ends_ms?}  -> 201 works (SCHEDULED), as the
                                       partner's operations would publish them
    POST  /_admin/works/{id}/complete  ends them now (COMPLETED);  POST /_admin/works/{id}/cancel (CANCELLED)

Works statuses: SCHEDULED, IN_PROGRESS (from starts_ms), COMPLETED (at ends_ms for PLANNED works; UNPLANNED ones
when completed), CANCELLED. Works events go to the same webhooks as {"event_id", "event_type": "works.updated",
"works_id", "status", "revision", "occurred_at", "works": {the whole works}}.

Times: instants are epoch milliseconds (`created_ms`, `status_since_ms`, webhook `occurred_at`), except the
price's `valid_until`, written "YYYY-MM-DD HH:MM:SS" in UTC without a zone; dates are "YYYY-MM-DD".
Every circuit has a `revision` that grows by one on each change. A circuit also shows `cancellation`
({decision, reason, cancel_ref, requested_ms, why} once asked) and `changes` ([{change_ref, speed_mbps,
requested_ms, state: PENDING|DONE}]; a change to a live circuit applies when the regrade completes).

Errors: {"error": {"type": "...", "message": "...", "fields": [{"field": "a_end.town", "issue": "..."}]}}.

Webhooks: every status change is POSTed to each registered URL as
{"event_id", "event_type": "circuit.status_changed", "circuit_id", "customer_ref", "status", "revision",
"occurred_at" (epoch ms, when the status began), "service_id", "status_reason", "hold_reason",
"forecast_ready_date"}, signed with the hex HMAC-SHA256 of the raw body under the registered secret in the
`X-Partner-Signature` header. Events queue up and leave on `advance()` (or the background ticker).

Time is whatever `now()` says (a ManualClock's in tests): `tick()` applies the transitions that are due,
`advance()` ticks and delivers webhooks, and `create_app(..., tick_interval_s=...)` runs that in the background.
Faults for tests are in `PartnerEmulator.faults` (a `Faults`) or `POST /_admin/faults` with the same names.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

SPEED_TIERS: tuple[int, ...] = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
CIRCUIT_STATUSES: tuple[str, ...] = (
    "RECEIVED", "DESIGN", "BUILD", "ON_HOLD_CUSTOMER", "READY_FOR_SERVICE", "REGRADE_IN_PROGRESS",
    "CANCEL_PENDING", "CANCELLED", "DECLINED", "FAILED",
)
CLOSED = frozenset({"CANCELLED", "DECLINED", "FAILED"})
SIGNATURE_HEADER = "X-Partner-Signature"
EVENT_TYPE = "circuit.status_changed"
FAULT_EVENT = "fault.status_changed"
WORKS_EVENT = "works.updated"
WORKS_STATUSES: tuple[str, ...] = ("SCHEDULED", "IN_PROGRESS", "COMPLETED", "CANCELLED")
FAULT_STATUSES: tuple[str, ...] = ("LOGGED", "TRIAGE", "AWAITING_CUSTOMER", "ENGINEER_ASSIGNED", "CLEARED",
                                   "REOPENED", "CLOSED", "WITHDRAWN")


def ms(at: datetime) -> int:
    """An instant as the partner writes it: epoch milliseconds."""
    return int(at.timestamp() * 1000)


def sign(secret: str, body: bytes) -> str:
    """The partner's webhook signature: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class PartnerError(Exception):
    """An error the partner answers in its own shape."""

    def __init__(self, status: int, type_: str, message: str, fields_: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.fields = fields_ or []

    def body(self) -> dict[str, Any]:
        return {"error": {"type": self.type, "message": self.message, "fields": self.fields}}


# ---- behaviour and faults ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Behaviour:
    """How the partner behaves when nothing goes wrong: coverage, prices and its delivery timeline."""

    countries: frozenset[str] = frozenset({"GB", "IE", "SG", "US"})
    max_speed_mbps: int = 10_000
    install_days: int = 14  # +7 above 1 Gb/s
    design_after: timedelta = timedelta(days=1)
    build_after: timedelta = timedelta(days=3)
    hold_for: timedelta | None = None  # if set, BUILD stops in ON_HOLD_CUSTOMER this long (site access)
    feasibility_check: timedelta | None = None  # if set, feasibility stays CHECKING this long
    survey: timedelta | None = None  # if set, price requests stay PENDING_SURVEY this long
    price_valid: timedelta = timedelta(days=30)
    cancel_after: timedelta = timedelta(days=1)
    regrade_after: timedelta = timedelta(days=2)
    currency: str = "GBP"
    triage_after: timedelta = timedelta(minutes=30)  # a fault goes LOGGED -> TRIAGE
    repair_after: timedelta = timedelta(hours=4)  # from triage (or the answer, or the visit) to CLEARED
    fault_question: str | None = None  # if set, triage asks this and waits for a customer message
    fault_visit: bool = False  # if set, the repair needs an engineer on site (visit slots, then booking)
    visit_hours: tuple[int, int] = (8, 18)  # the engineers' day, UTC; slots of two hours


_ORDERING_PATHS = ("/api/v2/feasibility", "/api/v2/price-requests", "/api/v2/circuits")


@dataclass(slots=True)
class Faults:
    """Switches for tests. Counters are consumed one request at a time; flags hold until cleared."""

    fail_next: int = 0  # the next N ordering requests (feasibility, prices, circuits) get 503 (not acted on)
    hang_after_create: int = 0  # the next N circuit creations are made, then the answer waits hang_s
    hang_s: float = 2.0
    error_after_create: int = 0  # the next N circuit creations are made, then answered with 500
    drop_webhooks: bool = False  # webhooks are discarded instead of sent
    duplicate_webhooks: bool = False  # every webhook is sent twice
    reorder_webhooks: bool = False  # each batch of webhooks is sent newest first
    refuse_cancellations: str | None = None  # cancellations are denied with this reason
    stuck: bool = False  # circuits never progress
    fail_builds: str | None = None  # circuits due READY_FOR_SERVICE go FAILED with this reason instead

    def update(self, changes: dict[str, Any]) -> None:
        """Set the named knobs (unknown names or wrong types raise ValueError); {"reset": true} clears all."""
        if changes.get("reset"):
            for f in fields(self):
                setattr(self, f.name, f.default)
        known = {f.name: f for f in fields(self)}
        for name, value in changes.items():
            if name == "reset":
                continue
            if name not in known:
                raise ValueError(f"unknown fault {name!r}")
            default = known[name].default
            if isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, int):
                ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            elif isinstance(default, float):
                ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
            else:
                ok = value is None or isinstance(value, str)
            if not ok:
                raise ValueError(f"bad value for {name}: {value!r}")
            setattr(self, name, float(value) if isinstance(default, float) else value)


# ---- state ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Step:
    at: datetime
    status: str
    reason: str | None = None


@dataclass(slots=True)
class Circuit:
    circuit_id: str
    customer_ref: str
    a_end: dict[str, Any]
    speed_mbps: int
    ready_by: date | None
    price_request_id: str | None
    notes: str | None
    created_at: datetime
    forecast_ready: date
    status: str = "RECEIVED"
    status_since: datetime | None = None
    revision: int = 1
    service_id: str | None = None
    status_reason: str | None = None
    hold_reason: str | None = None
    cancellation: dict[str, Any] | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    schedule: list[Step] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "circuit_id": self.circuit_id, "customer_ref": self.customer_ref, "status": self.status,
            "revision": self.revision, "speed_mbps": self.speed_mbps, "a_end": self.a_end,
            "ready_by": self.ready_by.isoformat() if self.ready_by else None,
            "price_request_id": self.price_request_id, "notes": self.notes,
            "forecast_ready_date": self.forecast_ready.isoformat(), "service_id": self.service_id,
            "status_reason": self.status_reason, "hold_reason": self.hold_reason,
            "created_ms": ms(self.created_at), "status_since_ms": ms(self.status_since or self.created_at),
            "cancellation": self.cancellation, "changes": list(self.changes),
        }


@dataclass(slots=True)
class Fault:
    fault_id: str
    customer_ref: str
    circuit_id: str | None
    service_id: str | None
    summary: str
    impact: str
    created_at: datetime
    started_at: datetime | None
    status: str = "LOGGED"
    status_since: datetime | None = None
    revision: int = 1
    question: str | None = None
    asked: bool = False
    visit: dict[str, Any] | None = None
    cleared_at: datetime | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    schedule: list[Step] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "fault_id": self.fault_id, "customer_ref": self.customer_ref, "circuit_id": self.circuit_id,
            "service_id": self.service_id, "summary": self.summary, "impact": self.impact, "status": self.status,
            "revision": self.revision, "question": self.question, "visit": dict(self.visit) if self.visit else None,
            "created_ms": ms(self.created_at), "started_ms": ms(self.started_at) if self.started_at else None,
            "status_since_ms": ms(self.status_since or self.created_at),
            "cleared_ms": ms(self.cleared_at) if self.cleared_at else None, "messages": list(self.messages),
        }


@dataclass(slots=True)
class Works:
    """Planned works or a service-affecting problem the partner announces on some live services."""

    works_id: str
    kind: str  # PLANNED | UNPLANNED
    service_ids: list[str]
    summary: str
    effect: str  # OUTAGE | DEGRADED | INTERMITTENT
    starts: datetime
    ends: datetime | None
    status: str = "SCHEDULED"
    revision: int = 1
    updated: datetime | None = None

    def view(self) -> dict[str, Any]:
        return {"works_id": self.works_id, "kind": self.kind, "status": self.status,
                "service_ids": list(self.service_ids), "summary": self.summary, "effect": self.effect,
                "starts_ms": ms(self.starts), "ends_ms": ms(self.ends) if self.ends else None,
                "revision": self.revision, "updated_ms": ms(self.updated) if self.updated else None}


@dataclass(frozen=True, slots=True)
class Webhook:
    webhook_id: str
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook POST the emulator made (or dropped), for tests to inspect."""

    url: str
    event_id: str
    status: str
    revision: int
    http_status: int | None  # None when dropped or the listener could not be reached
    dropped: bool = False


@dataclass(frozen=True, slots=True)
class Seen:
    """One API request as the partner received it (before any fault or check)."""

    method: str
    path: str
    query: str


# ---- request bodies ------------------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Site(_Body):
    line1: str = Field(min_length=1, max_length=120)
    line2: str | None = Field(default=None, max_length=120)
    town: str = Field(min_length=1, max_length=80)
    region: str | None = Field(default=None, max_length=80)
    postcode: str | None = Field(default=None, max_length=16)
    country_code: str = Field(pattern=r"^[A-Z]{2}$")


class FeasibilityIn(_Body):
    site: Site
    speed_mbps: int = Field(gt=0)
    reference: str | None = Field(default=None, max_length=64)


class PriceRequestIn(_Body):
    site: Site
    speed_mbps: int = Field(gt=0)
    term_months: int = Field(default=12, ge=1, le=60)
    reference: str | None = Field(default=None, max_length=64)
    feasibility_id: str | None = None


class CircuitIn(_Body):
    customer_ref: str = Field(min_length=1, max_length=64)
    a_end: Site
    speed_mbps: int = Field(gt=0)
    ready_by: date | None = None
    price_request_id: str | None = None
    notes: str | None = Field(default=None, max_length=500)


class SpeedChangeIn(_Body):
    speed_mbps: int = Field(gt=0)
    change_ref: str = Field(min_length=1, max_length=64)


class CancelIn(_Body):
    reason: str = Field(min_length=1, max_length=500)
    cancel_ref: str | None = Field(default=None, max_length=64)


class WorksIn(_Body):
    kind: str = Field(pattern="^(PLANNED|UNPLANNED)$")
    service_ids: list[str] = Field(min_length=1)
    summary: str = Field(min_length=1, max_length=1000)
    effect: str = Field(default="OUTAGE", pattern="^(OUTAGE|DEGRADED|INTERMITTENT)$")
    starts_ms: int
    ends_ms: int | None = None


class FaultIn(_Body):
    customer_ref: str = Field(min_length=1, max_length=64)
    circuit_id: str | None = None
    service_id: str | None = None
    summary: str = Field(min_length=1, max_length=1000)
    impact: str = Field(pattern=r"^(OUTAGE|DEGRADED|INTERMITTENT)$")
    started_ms: int | None = Field(default=None, ge=0)


class MessageIn(_Body):
    message_id: str = Field(min_length=1, max_length=64)
    body: str = Field(min_length=1, max_length=2000)


class DisputeIn(_Body):
    reason: str = Field(min_length=1, max_length=1000)


class VisitIn(_Body):
    start_ms: int = Field(ge=0)


class WebhookIn(_Body):
    url: str = Field(pattern=r"^https?://")
    secret: str = Field(min_length=8, max_length=200)


# ---- the emulator ----------------------------------------------------------------------------------------------


class PartnerEmulator:
    """The partner's state, timeline and webhook sender; `create_app(emulator)` puts HTTP in front of it."""

    def __init__(self, *, now: Callable[[], datetime] = lambda: datetime.now(UTC), api_key: str = "fernway-key",
                 behaviour: Behaviour | None = None, faults: Faults | None = None,
                 webhook_timeout_s: float = 2.0) -> None:
        self.now = now
        self.api_key = api_key
        self.behaviour = behaviour or Behaviour()
        self.faults = faults or Faults()
        self.feasibility: dict[str, dict[str, Any]] = {}
        self.price_requests: dict[str, dict[str, Any]] = {}
        self.circuits: dict[str, Circuit] = {}
        self.fault_tickets: dict[str, Fault] = {}  # the customers' faults (its trouble tickets)
        self.works: dict[str, Works] = {}  # its announcements of planned works and problems
        self.webhooks: dict[str, Webhook] = {}
        self.requests: list[Seen] = []
        self.deliveries: list[Delivery] = []
        self.outbox: list[dict[str, Any]] = []
        self._by_ref: dict[str, str] = {}
        self._counter = 0
        self._released = False
        self._release: asyncio.Event | None = None
        self._webhook_timeout_s = webhook_timeout_s
        self._http: httpx.AsyncClient | None = None

    # -- helpers
    def _next(self, prefix: str, width: int = 6) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:0{width}d}"

    def _coverage_problem(self, site: Site, speed: int) -> str | None:
        if site.country_code not in self.behaviour.countries:
            return f"no coverage in {site.country_code}"
        if speed > self.behaviour.max_speed_mbps:
            return f"{speed} Mbps is above our maximum of {self.behaviour.max_speed_mbps} Mbps"
        return None

    def _install_days(self, speed: int) -> int:
        return self.behaviour.install_days + (7 if speed > 1000 else 0)

    @staticmethod
    def _tier_problem(speed: int) -> PartnerError | None:
        if speed in SPEED_TIERS:
            return None
        return PartnerError(422, "validation", "speed is not one of our products",
                            [{"field": "speed_mbps", "issue": f"must be one of {list(SPEED_TIERS)}"}])

    def circuit(self, circuit_id: str) -> Circuit:
        found = self.circuits.get(circuit_id)
        if found is None:
            raise PartnerError(404, "not_found", f"no circuit {circuit_id}")
        return found

    def _change(self, circuit: Circuit, status: str, at: datetime, reason: str | None = None) -> None:
        """Move a circuit to `status` (as of `at`), bump its revision and queue the webhook event."""
        circuit.status = status
        circuit.status_since = at
        circuit.revision += 1
        if status in ("DECLINED", "FAILED"):
            circuit.status_reason = reason
        circuit.hold_reason = reason if status == "ON_HOLD_CUSTOMER" else None
        if status == "READY_FOR_SERVICE":
            circuit.service_id = circuit.service_id or "SVC-" + circuit.circuit_id.removeprefix("CCT-")
            for change in circuit.changes:
                if change["state"] == "PENDING":
                    circuit.speed_mbps = change["speed_mbps"]
                    change["state"] = "DONE"
        self._queue(circuit)

    def _queue(self, circuit: Circuit) -> None:
        self.outbox.append({
            "event_id": self._next("evt_", 8), "event_type": EVENT_TYPE, "circuit_id": circuit.circuit_id,
            "customer_ref": circuit.customer_ref, "status": circuit.status, "revision": circuit.revision,
            "occurred_at": ms(circuit.status_since or circuit.created_at), "service_id": circuit.service_id,
            "status_reason": circuit.status_reason, "hold_reason": circuit.hold_reason,
            "forecast_ready_date": circuit.forecast_ready.isoformat(),
        })

    # -- feasibility and prices
    def check_feasibility(self, body: FeasibilityIn) -> dict[str, Any]:
        now = self.now()
        problem = self._coverage_problem(body.site, body.speed_mbps)
        record = {
            "feasibility_id": self._next("FZ-"), "reference": body.reference, "site": body.site.model_dump(),
            "speed_mbps": body.speed_mbps, "result": "NOT_FEASIBLE" if problem else "FEASIBLE",
            "install_days": None if problem else self._install_days(body.speed_mbps), "reason": problem,
            "_decided_at": now + (self.behaviour.feasibility_check or timedelta(0)),
        }
        self.feasibility[record["feasibility_id"]] = record
        return self.feasibility_view(record["feasibility_id"])

    def feasibility_view(self, feasibility_id: str) -> dict[str, Any]:
        record = self.feasibility.get(feasibility_id)
        if record is None:
            raise PartnerError(404, "not_found", f"no feasibility check {feasibility_id}")
        view = {k: v for k, v in record.items() if not k.startswith("_")}
        if self.now() < record["_decided_at"]:
            view.update(result="CHECKING", install_days=None, reason=None)
        view["checked_ms"] = ms(record["_decided_at"]) if view["result"] != "CHECKING" else None
        return view

    def request_price(self, body: PriceRequestIn) -> dict[str, Any]:
        if (error := self._tier_problem(body.speed_mbps)) is not None:
            raise error
        now = self.now()
        problem = self._coverage_problem(body.site, body.speed_mbps)
        priced_at = now + (self.behaviour.survey or timedelta(0))
        setup = Decimal(950) + (Decimal(1500) if body.speed_mbps > 1000 else Decimal(0))
        discount = Decimal("0.85") if body.term_months >= 36 else Decimal("0.92") if body.term_months >= 24 else 1
        monthly = (Decimal(80) + Decimal("0.6") * body.speed_mbps) * discount
        cents = Decimal("0.01")
        record = {
            "price_request_id": self._next("PR-"), "reference": body.reference, "site": body.site.model_dump(),
            "speed_mbps": body.speed_mbps, "term_months": body.term_months, "feasibility_id": body.feasibility_id,
            "status": "NO_PRICE" if problem else "QUOTED", "reason": problem,
            "setup_fee": None if problem else str(setup.quantize(cents, ROUND_HALF_UP)),
            "monthly_fee": None if problem else str(monthly.quantize(cents, ROUND_HALF_UP)),
            "currency": self.behaviour.currency,
            "lead_days": None if problem else self._install_days(body.speed_mbps),
            "_priced_at": priced_at, "_valid_until": priced_at + self.behaviour.price_valid, "_used": False,
        }
        self.price_requests[record["price_request_id"]] = record
        return self.price_view(record["price_request_id"])

    def price_view(self, price_request_id: str) -> dict[str, Any]:
        record = self.price_requests.get(price_request_id)
        if record is None:
            raise PartnerError(404, "not_found", f"no price request {price_request_id}")
        view = {k: v for k, v in record.items() if not k.startswith("_")}
        now = self.now()
        if view["status"] == "QUOTED":
            if record["_used"]:
                view["status"] = "USED"
            elif now < record["_priced_at"]:
                view.update(status="PENDING_SURVEY", setup_fee=None, monthly_fee=None)
            elif now > record["_valid_until"]:
                view["status"] = "LAPSED"
        priced = view["status"] != "PENDING_SURVEY" and view["setup_fee"] is not None
        view["valid_until"] = record["_valid_until"].strftime("%Y-%m-%d %H:%M:%S") if priced else None
        return view

    # -- circuits
    def create_circuit(self, body: CircuitIn) -> tuple[Circuit, bool]:
        """The circuit for `body.customer_ref`, created if new; returns it and whether it was created."""
        if (existing := self._by_ref.get(body.customer_ref)) is not None:
            return self.circuits[existing], False
        if (error := self._tier_problem(body.speed_mbps)) is not None:
            raise error
        price_id = body.price_request_id
        if price_id is not None:
            if price_id not in self.price_requests:
                raise PartnerError(422, "validation", "unknown price request",
                                   [{"field": "price_request_id", "issue": "not found"}])
            status = self.price_view(price_id)["status"]
            if status != "QUOTED":
                raise PartnerError(409, f"price_{status.lower()}", f"price request {price_id} is {status}")
        now = self.now()
        days = self._install_days(body.speed_mbps)
        ready_at = now + timedelta(days=days)
        if body.ready_by is not None:
            ready_at = max(ready_at, datetime.combine(body.ready_by, datetime.min.time(), UTC) + timedelta(hours=9))
        if self.behaviour.hold_for is not None:
            ready_at += self.behaviour.hold_for
        circuit = Circuit(circuit_id=self._next("CCT-"), customer_ref=body.customer_ref, a_end=body.a_end.model_dump(),
                          speed_mbps=body.speed_mbps, ready_by=body.ready_by, price_request_id=body.price_request_id,
                          notes=body.notes, created_at=now, status_since=now, forecast_ready=ready_at.date())
        b = self.behaviour
        if problem := self._coverage_problem(body.a_end, body.speed_mbps):
            circuit.schedule = [Step(now + b.design_after, "DECLINED", problem)]
        else:
            build_at = now + b.build_after
            circuit.schedule = [Step(now + b.design_after, "DESIGN"), Step(build_at, "BUILD")]
            if b.hold_for is not None:
                held_at = build_at + timedelta(days=1)
                circuit.schedule += [Step(held_at, "ON_HOLD_CUSTOMER", "site access: confirm an access window"),
                                     Step(held_at + b.hold_for, "BUILD")]
            circuit.schedule.append(Step(ready_at, "READY_FOR_SERVICE"))
        if price_id is not None:
            self.price_requests[price_id]["_used"] = True
        self.circuits[circuit.circuit_id] = circuit
        self._by_ref[circuit.customer_ref] = circuit.circuit_id
        self._queue(circuit)
        return circuit, True

    def search(self, *, customer_ref: str | None, service_id: str | None, status: str | None) -> list[Circuit]:
        found = []
        for c in self.circuits.values():
            if customer_ref is not None and c.customer_ref != customer_ref \
                    and all(ch["change_ref"] != customer_ref for ch in c.changes):
                continue
            if service_id is not None and c.service_id != service_id:
                continue
            if status is not None and c.status != status:
                continue
            found.append(c)
        return found

    def change_speed(self, circuit_id: str, body: SpeedChangeIn) -> Circuit:
        circuit = self.circuit(circuit_id)
        if any(ch["change_ref"] == body.change_ref for ch in circuit.changes):
            return circuit
        if (error := self._tier_problem(body.speed_mbps)) is not None:
            raise error
        now = self.now()
        if circuit.status in ("RECEIVED", "DESIGN", "BUILD", "ON_HOLD_CUSTOMER"):
            circuit.changes.append({"change_ref": body.change_ref, "speed_mbps": body.speed_mbps,
                                    "requested_ms": ms(now), "state": "DONE"})
            circuit.speed_mbps = body.speed_mbps
            circuit.revision += 1
        elif circuit.status == "READY_FOR_SERVICE":
            circuit.changes.append({"change_ref": body.change_ref, "speed_mbps": body.speed_mbps,
                                    "requested_ms": ms(now), "state": "PENDING"})
            self._change(circuit, "REGRADE_IN_PROGRESS", now)
            circuit.schedule = [Step(now + self.behaviour.regrade_after, "READY_FOR_SERVICE")]
        else:
            raise PartnerError(409, "invalid_state", f"circuit {circuit_id} is {circuit.status}")
        return circuit

    def cancel(self, circuit_id: str, body: CancelIn) -> dict[str, Any]:
        circuit = self.circuit(circuit_id)
        now = self.now()
        if circuit.status == "CANCEL_PENDING":
            decision, reason = "ACCEPTED", None
        elif circuit.status in CLOSED:
            decision, reason = "DENIED", f"circuit is {circuit.status}"
        elif circuit.status == "REGRADE_IN_PROGRESS":
            decision, reason = "DENIED", "a regrade is in progress"
        elif self.faults.refuse_cancellations:
            decision, reason = "DENIED", self.faults.refuse_cancellations
        else:
            decision, reason = "ACCEPTED", None
            self._change(circuit, "CANCEL_PENDING", now)
            circuit.schedule = [Step(now + self.behaviour.cancel_after, "CANCELLED")]
        if circuit.cancellation is None or circuit.cancellation["decision"] != "ACCEPTED":
            circuit.cancellation = {"decision": decision, "reason": reason, "cancel_ref": body.cancel_ref,
                                    "requested_ms": ms(now), "why": body.reason}
            if decision == "DENIED":
                circuit.revision += 1
        return {"decision": decision, "reason": reason, "circuit": circuit.view()}

    # -- faults
    def fault(self, fault_id: str) -> Fault:
        found = self.fault_tickets.get(fault_id)
        if found is None:
            raise PartnerError(404, "not_found", f"no fault {fault_id}")
        return found

    def open_fault(self, body: FaultIn) -> tuple[Fault, bool]:
        known = next((f for f in self.fault_tickets.values() if f.customer_ref == body.customer_ref), None)
        if known is not None:
            return known, False
        if body.circuit_id is None and body.service_id is None:
            raise PartnerError(422, "validation", "say which circuit or service is faulty",
                               [{"field": "circuit_id", "issue": "circuit_id or service_id is required"}])
        circuit = self.circuits.get(body.circuit_id) if body.circuit_id else next(
            (c for c in self.circuits.values() if c.service_id == body.service_id), None)
        if circuit is None:
            raise PartnerError(422, "validation", "no such circuit or service",
                               [{"field": "service_id" if body.service_id else "circuit_id", "issue": "not found"}])
        now = self.now()
        fault = Fault(fault_id=self._next("FLT-"), customer_ref=body.customer_ref, circuit_id=circuit.circuit_id,
                      service_id=circuit.service_id, summary=body.summary, impact=body.impact, created_at=now,
                      started_at=datetime.fromtimestamp(body.started_ms / 1000, UTC) if body.started_ms else None,
                      status_since=now)
        fault.schedule = [Step(now + self.behaviour.triage_after, "TRIAGE")]
        self.fault_tickets[fault.fault_id] = fault
        self._queue_fault(fault)
        return fault, True

    def _after_triage(self, fault: Fault, at: datetime) -> None:
        """What follows triage: a question, a visit to book, or the repair itself."""
        b = self.behaviour
        if b.fault_question and not fault.asked:
            fault.asked = True
            fault.question = b.fault_question
            self._fault_change(fault, "AWAITING_CUSTOMER", at)
        elif b.fault_visit and not (fault.visit or {}).get("booked_start_ms"):
            fault.visit = {"required": True, "booked_start_ms": None, "booked_end_ms": None}
            self._fault_change(fault, "ENGINEER_ASSIGNED", at)
        else:
            if fault.status != "ENGINEER_ASSIGNED":
                self._fault_change(fault, "ENGINEER_ASSIGNED", at)
            fault.schedule = [Step(at + b.repair_after, "CLEARED")]

    def _fault_change(self, fault: Fault, status: str, at: datetime) -> None:
        fault.status, fault.status_since = status, at
        fault.revision += 1
        if status == "CLEARED":
            fault.cleared_at = at
        if status != "AWAITING_CUSTOMER":
            fault.question = None
        self._queue_fault(fault)

    def _queue_fault(self, fault: Fault) -> None:
        self.outbox.append({
            "event_id": self._next("evt_", 8), "event_type": FAULT_EVENT, "fault_id": fault.fault_id,
            "customer_ref": fault.customer_ref, "status": fault.status, "revision": fault.revision,
            "occurred_at": ms(fault.status_since or fault.created_at), "question": fault.question,
        })

    def fault_message(self, fault_id: str, body: MessageIn) -> Fault:
        fault = self.fault(fault_id)
        if any(m["message_id"] == body.message_id for m in fault.messages):
            return fault
        if fault.status in ("CLOSED", "WITHDRAWN"):
            raise PartnerError(409, "invalid_state", f"fault {fault_id} is {fault.status}")
        now = self.now()
        fault.messages.append({"message_id": body.message_id, "from": "CUSTOMER", "body": body.body,
                               "sent_ms": ms(now)})
        fault.revision += 1
        if fault.status == "AWAITING_CUSTOMER":
            self._after_triage(fault, now)
        return fault

    def confirm_fault(self, fault_id: str) -> Fault:
        fault = self.fault(fault_id)
        if fault.status == "CLOSED":
            return fault
        if fault.status != "CLEARED":
            raise PartnerError(409, "invalid_state", f"fault {fault_id} is {fault.status}, not CLEARED")
        fault.schedule.clear()
        self._fault_change(fault, "CLOSED", self.now())
        return fault

    def dispute_fault(self, fault_id: str, body: DisputeIn) -> Fault:
        fault = self.fault(fault_id)
        if fault.status != "CLEARED":
            raise PartnerError(409, "invalid_state", f"fault {fault_id} is {fault.status}, not CLEARED")
        now = self.now()
        fault.messages.append({"message_id": self._next("MSG-"), "from": "CUSTOMER", "body": body.reason,
                               "sent_ms": ms(now)})
        fault.cleared_at = None
        self._fault_change(fault, "REOPENED", now)
        fault.schedule = [Step(now + self.behaviour.triage_after, "TRIAGE")]
        return fault

    def withdraw_fault(self, fault_id: str) -> Fault:
        fault = self.fault(fault_id)
        if fault.status in ("CLOSED", "WITHDRAWN"):
            return fault
        fault.schedule.clear()
        self._fault_change(fault, "WITHDRAWN", self.now())
        return fault

    def visit_slots(self, fault_id: str) -> list[dict[str, int]]:
        fault = self.fault(fault_id)
        if not (fault.visit or {}).get("required"):
            raise PartnerError(409, "no_visit", f"fault {fault_id} needs no visit")
        start_h, end_h = self.behaviour.visit_hours
        day = self.now().date() + timedelta(days=1)
        slots = []
        for d in range(3):
            for h in range(start_h, end_h - 1, 2):
                at = datetime(day.year, day.month, day.day, h, tzinfo=UTC) + timedelta(days=d)
                slots.append({"start_ms": ms(at), "end_ms": ms(at + timedelta(hours=2))})
        return slots

    def book_visit(self, fault_id: str, body: VisitIn) -> Fault:
        fault = self.fault(fault_id)
        offered = {s["start_ms"]: s for s in self.visit_slots(fault_id)}
        if (fault.visit or {}).get("booked_start_ms") == body.start_ms:
            return fault
        slot = offered.get(body.start_ms)
        if slot is None:
            raise PartnerError(422, "validation", "not one of the offered slots",
                               [{"field": "start_ms", "issue": "pick one from visit-slots"}])
        fault.visit = {"required": True, "booked_start_ms": slot["start_ms"], "booked_end_ms": slot["end_ms"]}
        fault.revision += 1
        end = datetime.fromtimestamp(slot["end_ms"] / 1000, UTC)
        fault.schedule = [Step(end, "CLEARED")]  # the engineer repairs during the visit
        self._queue_fault(fault)
        return fault

    # -- time
    # -- works (announcements)
    def announce_works(self, body: WorksIn) -> Works:
        now = self.now()
        starts = datetime.fromtimestamp(body.starts_ms / 1000, UTC)
        ends = datetime.fromtimestamp(body.ends_ms / 1000, UTC) if body.ends_ms is not None else None
        if ends is not None and ends <= starts:
            raise PartnerError(422, "validation", "works end after they start",
                               [{"field": "ends_ms", "issue": "must be after starts_ms"}])
        works = Works(works_id=self._next("WK-"), kind=body.kind, service_ids=list(body.service_ids),
                      summary=body.summary, effect=body.effect, starts=starts, ends=ends, updated=now)
        self.works[works.works_id] = works
        self._queue_works(works, now)
        self.tick()  # works that have begun already are in progress at once
        return works

    def works_of(self, works_id: str) -> Works:
        found = self.works.get(works_id)
        if found is None:
            raise PartnerError(404, "not_found", f"no works {works_id}")
        return found

    def end_works(self, works_id: str, status: str) -> Works:
        works = self.works_of(works_id)
        if works.status in ("COMPLETED", "CANCELLED"):
            return works
        self._works_change(works, status, self.now())
        return works

    def _works_change(self, works: Works, status: str, at: datetime) -> None:
        works.status, works.updated = status, at
        works.revision += 1
        self._queue_works(works, at)

    def _queue_works(self, works: Works, at: datetime) -> None:
        self.outbox.append({"event_id": self._next("evt_", 8), "event_type": WORKS_EVENT,
                            "works_id": works.works_id, "status": works.status, "revision": works.revision,
                            "occurred_at": ms(at), "works": works.view()})

    def _tick_works(self, now: datetime) -> int:
        applied = 0
        for works in sorted(self.works.values(), key=lambda w: w.starts):
            if works.status == "SCHEDULED" and works.starts <= now:
                self._works_change(works, "IN_PROGRESS", works.starts)
                applied += 1
            if (works.status == "IN_PROGRESS" and works.kind == "PLANNED" and works.ends is not None
                    and works.ends <= now):
                self._works_change(works, "COMPLETED", works.ends)
                applied += 1
        return applied

    def tick(self) -> int:
        """Apply every transition that is due by now(), oldest first; returns how many were applied."""
        if self.faults.stuck:
            return 0
        now = self.now()
        applied = self._tick_works(now)
        while True:
            faults = [f for f in self.fault_tickets.values() if f.schedule and f.schedule[0].at <= now]
            if faults:
                fault = min(faults, key=lambda f: f.schedule[0].at)
                fstep = fault.schedule.pop(0)
                if fstep.status == "TRIAGE":
                    self._fault_change(fault, "TRIAGE", fstep.at)
                    self._after_triage(fault, fstep.at)
                else:
                    self._fault_change(fault, fstep.status, fstep.at)
                applied += 1
                continue
            due = [c for c in self.circuits.values() if c.schedule and c.schedule[0].at <= now]
            if not due:
                return applied
            circuit = min(due, key=lambda c: c.schedule[0].at)
            step = circuit.schedule.pop(0)
            if step.status == "READY_FOR_SERVICE" and self.faults.fail_builds and circuit.service_id is None:
                circuit.schedule.clear()
                self._change(circuit, "FAILED", step.at, self.faults.fail_builds)
            else:
                self._change(circuit, step.status, step.at, step.reason)
            applied += 1

    async def deliver_webhooks(self) -> int:
        """Send the queued events to every registered webhook (faults permitting); returns POSTs made."""
        batch, self.outbox = self.outbox, []
        if not batch or not self.webhooks:
            return 0
        if self.faults.duplicate_webhooks:
            batch = [event for event in batch for _ in (0, 1)]
        if self.faults.reorder_webhooks:
            batch.reverse()
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._webhook_timeout_s)
        sent = 0
        for event in batch:
            body = json.dumps(event, separators=(",", ":")).encode()
            for hook in list(self.webhooks.values()):
                if self.faults.drop_webhooks:
                    self.deliveries.append(Delivery(hook.url, event["event_id"], event["status"],
                                                    event["revision"], None, dropped=True))
                    continue
                status: int | None = None
                try:
                    response = await self._http.post(hook.url, content=body, headers={
                        "Content-Type": "application/json", SIGNATURE_HEADER: sign(hook.secret, body),
                        "X-Partner-Event": event["event_id"]})
                    status = response.status_code
                except httpx.HTTPError as exc:
                    log.warning("webhook to %s failed: %s", hook.url, exc)
                self.deliveries.append(Delivery(hook.url, event["event_id"], event["status"], event["revision"],
                                                status))
                sent += 1
        return sent

    async def advance(self) -> int:
        """Apply what is due and deliver the webhooks it caused; returns the transitions applied."""
        applied = self.tick()
        await self.deliver_webhooks()
        return applied

    async def run_ticker(self, interval_s: float) -> None:
        """Advance every `interval_s` seconds until cancelled (for real-time use)."""
        while True:
            try:
                await self.advance()
            except Exception:  # the ticker must outlive one bad round
                log.exception("partner emulator tick failed")
            await asyncio.sleep(interval_s)

    async def hang(self, seconds: float) -> None:
        """Hold a response for `seconds`, or until release_hangs()."""
        if self._released:
            return
        if self._release is None:
            self._release = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._release.wait(), seconds)

    def release_hangs(self) -> None:
        """Let every held response go now, and later ones at once (call on the server's event loop)."""
        self._released = True
        if self._release is not None:
            self._release.set()

    async def aclose(self) -> None:
        self.release_hangs()
        if self._http is not None:
            await self._http.aclose()
            self._http = None


# ---- HTTP ------------------------------------------------------------------------------------------------------


def create_app(emulator: PartnerEmulator | None = None, *, tick_interval_s: float | None = None) -> FastAPI:
    """The partner's HTTP API in front of `emulator` (a fresh one if none); `app.state.emulator` holds it."""
    emu = emulator or PartnerEmulator()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ticker = asyncio.create_task(emu.run_ticker(tick_interval_s)) if tick_interval_s else None
        try:
            yield
        finally:
            if ticker is not None:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            await emu.aclose()

    app = FastAPI(title="Fernway Fibre partner API (emulator)", lifespan=lifespan)
    app.state.emulator = emu

    @app.exception_handler(PartnerError)
    async def partner_error(_: Request, exc: PartnerError) -> JSONResponse:
        headers = {"Retry-After": "1"} if exc.status == 503 else None
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or "body", "issue": str(e.get("msg"))}
                    for e in exc.errors()]
        return JSONResponse(PartnerError(422, "validation", "request is not valid", problems).body(), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(PartnerError(exc.status_code, kind, str(exc.detail)).body(), exc.status_code)

    async def gate(request: Request, x_api_key: str | None = Header(default=None)) -> None:
        emu.requests.append(Seen(request.method, request.url.path, request.url.query))
        # only the ordering API fails on demand: the works and faults APIs are also read by background loops
        # (notice catch-up, ticket polling), which would otherwise use up a test's failures
        if emu.faults.fail_next > 0 and request.url.path.startswith(_ORDERING_PATHS):
            emu.faults.fail_next -= 1
            raise PartnerError(503, "unavailable", "service temporarily unavailable, try again")
        if x_api_key is None or not hmac.compare_digest(x_api_key.encode(), emu.api_key.encode()):
            raise PartnerError(401, "unauthorised", "missing or unknown API key")

    api = APIRouter(prefix="/api/v2", dependencies=[Depends(gate)])

    @api.post("/feasibility", status_code=201)
    async def post_feasibility(body: FeasibilityIn) -> dict[str, Any]:
        return emu.check_feasibility(body)

    @api.get("/feasibility/{feasibility_id}")
    async def get_feasibility(feasibility_id: str) -> dict[str, Any]:
        return emu.feasibility_view(feasibility_id)

    @api.post("/price-requests", status_code=201)
    async def post_price_request(body: PriceRequestIn) -> dict[str, Any]:
        return emu.request_price(body)

    @api.get("/price-requests/{price_request_id}")
    async def get_price_request(price_request_id: str) -> dict[str, Any]:
        return emu.price_view(price_request_id)

    @api.post("/circuits", status_code=201)
    async def post_circuit(body: CircuitIn, response: Response) -> dict[str, Any]:
        circuit, created = emu.create_circuit(body)
        if not created:
            response.status_code = 200
            return circuit.view()
        if emu.faults.hang_after_create > 0:
            emu.faults.hang_after_create -= 1
            await emu.hang(emu.faults.hang_s)
        if emu.faults.error_after_create > 0:
            emu.faults.error_after_create -= 1
            raise PartnerError(500, "internal", "something went wrong")
        return circuit.view()

    @api.get("/circuits")
    async def list_circuits(customer_ref: str | None = None, service_id: str | None = None,
                            status: str | None = None) -> dict[str, Any]:
        found = emu.search(customer_ref=customer_ref, service_id=service_id, status=status)
        return {"circuits": [c.view() for c in found[:100]], "total": len(found)}

    @api.get("/circuits/{circuit_id}")
    async def get_circuit(circuit_id: str) -> dict[str, Any]:
        return emu.circuit(circuit_id).view()

    @api.patch("/circuits/{circuit_id}")
    async def patch_circuit(circuit_id: str, body: SpeedChangeIn) -> dict[str, Any]:
        return emu.change_speed(circuit_id, body).view()

    @api.post("/circuits/{circuit_id}/cancel")
    async def cancel_circuit(circuit_id: str, body: CancelIn) -> dict[str, Any]:
        return emu.cancel(circuit_id, body)

    @api.post("/faults", status_code=201)
    async def post_fault(body: FaultIn, response: Response) -> dict[str, Any]:
        fault, created = emu.open_fault(body)
        if not created:
            response.status_code = 200
        return fault.view()

    @api.get("/faults")
    async def list_faults(customer_ref: str | None = None, status: str | None = None) -> dict[str, Any]:
        found = [f for f in emu.fault_tickets.values() if (customer_ref is None or f.customer_ref == customer_ref)
                 and (status is None or f.status == status)]
        return {"faults": [f.view() for f in found[:100]], "total": len(found)}

    @api.get("/faults/{fault_id}")
    async def get_fault(fault_id: str) -> dict[str, Any]:
        return emu.fault(fault_id).view()

    @api.post("/faults/{fault_id}/messages")
    async def post_fault_message(fault_id: str, body: MessageIn) -> dict[str, Any]:
        return emu.fault_message(fault_id, body).view()

    @api.post("/faults/{fault_id}/confirm")
    async def confirm_fault(fault_id: str) -> dict[str, Any]:
        return emu.confirm_fault(fault_id).view()

    @api.post("/faults/{fault_id}/dispute")
    async def dispute_fault(fault_id: str, body: DisputeIn) -> dict[str, Any]:
        return emu.dispute_fault(fault_id, body).view()

    @api.post("/faults/{fault_id}/withdraw")
    async def withdraw_fault(fault_id: str) -> dict[str, Any]:
        return emu.withdraw_fault(fault_id).view()

    @api.get("/faults/{fault_id}/visit-slots")
    async def get_visit_slots(fault_id: str) -> dict[str, Any]:
        return {"slots": emu.visit_slots(fault_id)}

    @api.post("/faults/{fault_id}/visit")
    async def post_visit(fault_id: str, body: VisitIn) -> dict[str, Any]:
        return emu.book_visit(fault_id, body).view()

    @api.post("/webhooks", status_code=201)
    async def post_webhook(body: WebhookIn, response: Response) -> dict[str, Any]:
        existing = next((w for w in emu.webhooks.values() if w.url == body.url), None)
        hook = Webhook(existing.webhook_id if existing else emu._next("WH-"), body.url, body.secret)
        emu.webhooks[hook.webhook_id] = hook
        if existing is not None:
            response.status_code = 200
        return {"webhook_id": hook.webhook_id, "url": hook.url, "events": [EVENT_TYPE, FAULT_EVENT]}

    @api.get("/webhooks")
    async def list_webhooks() -> dict[str, Any]:
        return {"webhooks": [{"webhook_id": w.webhook_id, "url": w.url} for w in emu.webhooks.values()]}

    @api.delete("/webhooks/{webhook_id}", status_code=204)
    async def delete_webhook(webhook_id: str) -> Response:
        if emu.webhooks.pop(webhook_id, None) is None:
            raise PartnerError(404, "not_found", f"no webhook {webhook_id}")
        return Response(status_code=204)

    @api.get("/works")
    async def list_works(status: str | None = None) -> dict[str, Any]:
        found = [w.view() for w in emu.works.values() if status is None or w.status == status]
        return {"works": found, "total": len(found)}

    @api.get("/works/{works_id}")
    async def get_works(works_id: str) -> dict[str, Any]:
        return emu.works_of(works_id).view()

    app.include_router(api)

    @app.post("/_admin/works", status_code=201)
    async def admin_works(body: WorksIn) -> dict[str, Any]:
        return emu.announce_works(body).view()

    @app.post("/_admin/works/{works_id}/complete")
    async def admin_complete_works(works_id: str) -> dict[str, Any]:
        return emu.end_works(works_id, "COMPLETED").view()

    @app.post("/_admin/works/{works_id}/cancel")
    async def admin_cancel_works(works_id: str) -> dict[str, Any]:
        return emu.end_works(works_id, "CANCELLED").view()

    @app.get("/_admin/faults")
    async def get_faults() -> dict[str, Any]:
        return asdict(emu.faults)

    @app.post("/_admin/faults")
    async def set_faults(request: Request) -> dict[str, Any]:
        try:
            changes = await request.json()
            if not isinstance(changes, dict):
                raise ValueError("expected a JSON object")
            emu.faults.update(changes)
        except ValueError as exc:
            raise PartnerError(422, "validation", str(exc)) from exc
        return asdict(emu.faults)

    @app.post("/_admin/advance")
    async def admin_advance() -> dict[str, Any]:
        return {"applied": await emu.advance()}

    return app
