"""The reconciliation checks and the findings' lifecycle, on plain records (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from counterpoint.core.orchestration.model import CommandState, CompositeState, Segment
from counterpoint.core.orchestration.supply import SegmentState
from counterpoint.core.reconcile.checks import (
    Context,
    active_without_billing_record,
    check_composite,
    check_ticket,
    command_without_supplier_record,
    duplicate_supplier_orders,
    sla_clocks_disagree,
    stale_observations,
    supplier_cancelled_believed_active,
    supplier_completed_while_waiting,
)
from counterpoint.core.reconcile.model import (
    Check,
    Drift,
    Evidence,
    Kind,
    Repair,
    RepairAction,
    RepairOutcome,
    Seen,
    Severity,
    Status,
    Subject,
    repaired,
    sight,
)
from counterpoint.core.reconcile.policy import ReconcilePolicy
from counterpoint.core.reconcile.records import (
    CommandView,
    CompositeRecord,
    EvidenceView,
    ProductView,
    RefView,
    SlaClockView,
    SupplierTicketView,
    TicketRecord,
)
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.demo.cluster import CHAIN
from counterpoint.profiles.loader import ProfileError, load_profile

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CTX = Context(now=NOW, policy=ReconcilePolicy(), staleness=lambda provider: timedelta(seconds=300))
OLD = NOW - timedelta(hours=1)
REF = ExternalRef("sup-b", "B-1")


def seg(state: SegmentState = SegmentState.ACTIVE, *, ref: ExternalRef | None = REF, observed: datetime = NOW,
        cost: dict | None = None) -> Segment:
    return Segment(id="s1", name="last-mile", provider_id="sup-b", own=False, request={}, state=state,
                   external_ref=ref, product_ref=ExternalRef("sup-b", "P-1", "product"), observed_at=observed,
                   cost={"mrc": "900", "currency": "USD"} if cost is None else cost)


def record(state: CompositeState = CompositeState.ACTIVE, *segments: Segment, **kw) -> CompositeRecord:  # type: ignore[no-untyped-def]
    base = {"product": ProductView("p1", "active", False, None)}
    return CompositeRecord(id="c1", buyer_id="b", order_id="o1", item_id="1", action="add", state=state,
                           updated_at=OLD, product_id="p1", segments=segments or (seg(),), **{**base, **kw})


def latest(state: SegmentState, at: datetime = OLD) -> dict[str, EvidenceView]:
    return {"s1": EvidenceView("s1", "sup-b", state, state.value, "callback", at, None, False, "stale")}


def test_a_clean_active_service_and_a_fresh_order_in_delivery_show_nothing() -> None:
    clean = record(refs=(RefView("s1", REF),), latest=latest(SegmentState.DELIVERED))
    assert check_composite(Check.ORDERS, clean, CTX) == [] and check_composite(Check.SERVICES, clean, CTX) == []
    delivering = record(CompositeState.IN_DELIVERY, seg(SegmentState.IN_DELIVERY), refs=(RefView("s1", REF),),
                        product=None, latest=latest(SegmentState.IN_DELIVERY))
    assert check_composite(Check.ORDERS, delivering, CTX) == []
    assert check_composite(Check.SERVICES, delivering, CTX) == []


def test_an_unsettled_command_is_drift_only_after_the_grace() -> None:
    cmd = CommandView("k1", "s1", "placeOrder", CommandState.UNKNOWN, "cp-1", OLD, OLD, None)
    rec = record(CompositeState.ORDERING, seg(SegmentState.UNKNOWN, ref=None), commands=(cmd,))
    [d] = command_without_supplier_record(rec, CTX)
    assert d.repair == Repair(RepairAction.REQUERY, "sup-b", "c1", "s1", command_id="k1")
    recent = CommandView("k1", "s1", "placeOrder", CommandState.UNKNOWN, "cp-1", NOW, NOW, None)
    assert list(command_without_supplier_record(record(CompositeState.ORDERING, seg(ref=None),
                                                       commands=(recent,)), CTX)) == []
    # settled with an answer we failed to keep: no automatic repair, a person looks
    done = CommandView("k1", "s1", "placeOrder", CommandState.SUCCEEDED, "cp-1", OLD, OLD, REF)
    [d] = command_without_supplier_record(record(CompositeState.IN_DELIVERY, seg(ref=None), commands=(done,)), CTX)
    assert d.repair is None


def test_the_supplier_s_last_word_against_ours() -> None:
    waiting = record(CompositeState.IN_DELIVERY, seg(SegmentState.IN_DELIVERY), latest=latest(SegmentState.DELIVERED))
    [d] = supplier_completed_while_waiting(waiting, CTX)
    assert d.kind is Kind.SUPPLIER_COMPLETED_WHILE_WAITING and d.evidence[0].observed_at == OLD
    assert list(supplier_completed_while_waiting(
        record(CompositeState.IN_DELIVERY, seg(SegmentState.IN_DELIVERY),
               latest=latest(SegmentState.DELIVERED, NOW)), CTX)) == []  # on its way
    [c] = supplier_cancelled_believed_active(record(latest=latest(SegmentState.CANCELLED)), CTX)
    assert c.severity is Severity.CRITICAL and c.repair is None
    assert list(supplier_cancelled_believed_active(record(
        CompositeState.CANCELLING, seg(SegmentState.CANCELLING), latest=latest(SegmentState.CANCELLED)), CTX)) == []


def test_two_orders_for_one_segment() -> None:
    rec = record(refs=(RefView("s1", REF), RefView("s1", ExternalRef("sup-b", "B-2"))))
    [d] = duplicate_supplier_orders(rec, CTX)
    assert d.subject.supplier_refs == ("sup-b/productOrder/B-1", "sup-b/productOrder/B-2")
    # a change of the service is a new composite: its own reference is not a duplicate of the base's
    assert list(duplicate_supplier_orders(record(refs=(RefView("s1", REF),)), CTX)) == []


def test_billing_record_is_a_recurring_price_or_a_cost_basis_on_every_live_segment() -> None:
    assert list(active_without_billing_record(record(), CTX)) == []
    [d] = active_without_billing_record(record(CompositeState.ACTIVE, seg(cost={})), CTX)
    assert d.kind is Kind.ACTIVE_WITHOUT_BILLING
    priced = ProductView("p1", "active", True, "ba-1")
    assert list(active_without_billing_record(record(CompositeState.ACTIVE, seg(cost={}), product=priced), CTX)) == []
    gone = ProductView("p1", "terminated", False, None)
    assert list(active_without_billing_record(record(CompositeState.ACTIVE, seg(cost={}), product=gone), CTX)) == []
    [none] = active_without_billing_record(record(product=None), CTX)
    assert "no product" in none.evidence[0].what


def test_staleness_windows_differ_for_delivery_and_active_services() -> None:
    delivering = record(CompositeState.IN_DELIVERY,
                        seg(SegmentState.IN_DELIVERY, observed=NOW - timedelta(seconds=901)))
    [d] = stale_observations(delivering, CTX)
    assert d.repair is not None and d.repair.action is RepairAction.ADOPT
    assert list(stale_observations(record(CompositeState.IN_DELIVERY, seg(
        SegmentState.IN_DELIVERY, observed=NOW - timedelta(seconds=899))), CTX)) == []
    month = record(CompositeState.ACTIVE, seg(observed=NOW - timedelta(days=31)))
    [a] = stale_observations(month, CTX)
    assert a.repair is not None and a.repair.action is RepairAction.REFRESH
    assert list(stale_observations(record(CompositeState.ACTIVE, seg(observed=NOW - timedelta(days=29))), CTX)) == []


def ticket(**kw) -> TicketRecord:  # type: ignore[no-untyped-def]
    base = {"id": "ft1", "ticket_id": "t1", "buyer_id": "b", "state": "investigating", "major_incident": False,
            "created_at": OLD, "updated_at": OLD, "suspected_provider": "sup-b"}
    return TicketRecord(**{**base, **kw})


def test_ticket_checks() -> None:
    resolved = SupplierTicketView("sup-b", "TT-1", "resolvedPendingValidation", OLD)
    [d] = check_ticket(ticket(supplier_tickets=(resolved,)), CTX)
    assert d.kind is Kind.TICKET_RESOLVED_NOT_VALIDATED and d.subject.ticket_id == "t1"
    assert check_ticket(ticket(supplier_tickets=(resolved,), validated_at=NOW), CTX) == []
    fresh = SupplierTicketView("sup-b", "TT-1", "resolvedPendingValidation", NOW)
    assert check_ticket(ticket(supplier_tickets=(fresh,)), CTX) == []  # our validation is on its way

    [m] = check_ticket(ticket(major_incident=True), CTX)
    assert m.kind is Kind.MAJOR_INCIDENT_NOT_ESCALATED and m.severity is Severity.CRITICAL
    escalated = SupplierTicketView("sup-b", "TT-2", "investigating")
    assert check_ticket(ticket(major_incident=True, supplier_tickets=(escalated,)), CTX) == []
    assert check_ticket(ticket(major_incident=True, suspected_provider=None), CTX) == []  # our own segment
    assert check_ticket(ticket(major_incident=True, created_at=NOW), CTX) == []

    apart = (SlaClockView("ours", OLD, NOW), SlaClockView("sup-b", None, NOW - timedelta(hours=2)))
    [c] = sla_clocks_disagree(ticket(clocks=apart), CTX)
    assert c.kind is Kind.SLA_CLOCKS_DISAGREE and c.subject.provider_id == "sup-b"
    near = (SlaClockView("ours", OLD, NOW), SlaClockView("sup-b", OLD + timedelta(seconds=30), NOW))
    assert list(sla_clocks_disagree(ticket(clocks=near), CTX)) == []
    alone = (SlaClockView("ours", OLD, NOW), SlaClockView("sup-b", None, None))
    assert list(sla_clocks_disagree(ticket(clocks=alone), CTX)) == []


# ---- the lifecycle of a finding ----------------------------------------------------------------------------


def drift(repairable: bool, key: str = "c1") -> Drift:
    return Drift(Kind.STALE_OBSERVATIONS, Subject(composite_id=key), "old", Severity.MINOR,
                 (Evidence("x", "segment", NOW),), (key, "s1"),
                 Repair(RepairAction.REFRESH, "sup-b", key, "s1") if repairable else None)


def test_the_fingerprint_names_the_drift_not_the_run() -> None:
    assert drift(True).fingerprint == drift(False).fingerprint != drift(True, "c2").fingerprint


events = st.lists(st.sampled_from(["seen", "gone", "repair-ok", "repair-fails"]), max_size=25)


@given(repairable=st.booleans(), repair_on=st.booleans(), script=events)
def test_a_drift_is_raised_at_most_once_per_appearance(repairable: bool, repair_on: bool, script: list[str]) -> None:
    """Whatever the runs see, a person is told once per appearance, and a repair is tried once per appearance."""
    finding = None
    raised_this_appearance = repairs_this_appearance = 0
    for i, step in enumerate(script):
        at = NOW + timedelta(hours=i)
        if step == "gone":
            if finding is not None and finding.status is not Status.CLEARED:
                finding.status, finding.cleared_at = Status.CLEARED, at
            raised_this_appearance = repairs_this_appearance = 0
            continue
        before = finding.status if finding else None
        s = sight(finding, drift(repairable), new_id="f1", run_id=f"r{i}", now=at, repair=repair_on)
        finding = s.finding
        assert finding.id == "f1" and finding.last_seen == at
        if before in (None, Status.CLEARED):
            assert s.seen is Seen.NEW and finding.first_seen == at
        if s.try_repair:
            repairs_this_appearance += 1
            repaired(finding, RepairOutcome(step != "repair-fails", step), now=at)
        if finding.status is Status.RAISED and before is not Status.RAISED:
            raised_this_appearance += 1
        assert raised_this_appearance <= 1 and repairs_this_appearance <= 1
        if not repairable or not repair_on:
            assert not s.try_repair


def test_the_profile_carries_the_reconciliation_policy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load((CHAIN / "a_archipelago.yaml").read_text())
    raw["orchestration"]["reconciliation"] = {"intervalS": 60, "repair": False, "graceS": 30,
                                              "serviceStalenessS": 86400, "pageSize": 100}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw))
    orch = load_profile(path, {"B_URL": "http://b"}).orchestration
    assert orch is not None and orch.reconciliation == ReconcilePolicy(60, False, 30, 86400, 100)
    raw["orchestration"]["reconciliation"]["pageSize"] = 0
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ProfileError, match="pageSize"):
        load_profile(path, {"B_URL": "http://b"})
