"""The root cause of an outage (rule `root-cause`): the charged supplier says the fault lay further down its
chain; the report shows the chain and charges nobody else. November 2026, svc-1 as in test_months."""

from __future__ import annotations

from datetime import timedelta

from counterpoint.core.sla.attribution import month_report
from counterpoint.core.sla.model import OURS, Domain, Fact, Month, Responsible
from counterpoint.core.trouble_ticket.model import (
    ResolutionCode,
    ResolutionNote,
    parse_resolution_note,
    resolution_code_of,
)
from tests.unit.sla.builders import B_ID, C_ID, COMMITMENTS, SERVICE, B, ev, nov, outage

NOV = Month(2026, 11)
D_ID = "far-away-fibre"


def _b_outage(*causes: tuple[str, str, str]) -> list:
    """A 5 h outage charged to B (its ticket tb-1), with ROOT_CAUSE evidence (said by, names, their ticket)."""
    start, end = nov(10, 8), nov(10, 13)
    items = [ev(Fact.START, start, reference="TT-1"),
             ev(Fact.DOMAIN, end, reference="tb-1", responsible=B),
             ev(Fact.END, end, reference="test-1"),
             *[ev(Fact.ROOT_CAUSE, end - timedelta(minutes=3), source=said, reference=ticket,
                  responsible=Responsible(Domain.SUPPLIER, named)) for said, named, ticket in causes]]
    return [outage("ticket:TT-1", start, end, responsible=B, segment="seg-b", evidence=items)]


def test_the_root_cause_named_by_the_charged_supplier_is_reported_with_each_ticket() -> None:
    report = month_report(NOV, nov(30), _b_outage((B_ID, C_ID, "tc-9")), [], [SERVICE], COMMITMENTS)
    [s] = report.services
    [o] = s.outages
    assert str(o.responsible) == f"supplier:{B_ID}" and o.root_cause == C_ID
    assert [(c.provider, c.ticket, c.said_by) for c in o.chain] == [(B_ID, "tb-1", None), (C_ID, "tc-9", B_ID)]
    assert o.chain[1].at == nov(10, 12, 57)  # B's clock (no skew pair here)
    [cause] = s.to_json(evidence=False)["rootCauses"]
    assert cause["charged"] == f"supplier:{B_ID}" and cause["rootCause"] == C_ID
    assert [c["ticket"] for c in cause["chain"]] == ["tb-1", "tc-9"]
    assert "root-cause" in s.rules
    assert f"root cause {C_ID} ({B_ID} tb-1 -> {C_ID} tc-9)" in report.summary()[0]


def test_the_root_cause_changes_no_figure() -> None:
    plain = month_report(NOV, nov(30), _b_outage(), [], [SERVICE], COMMITMENTS)
    caused = month_report(NOV, nov(30), _b_outage((B_ID, C_ID, "tc-9")), [], [SERVICE], COMMITMENTS)
    assert plain.services[0].outages[0].root_cause is None and plain.services[0].to_json()["rootCauses"] == [
        {"outage": "out-ticket:TT-1", "key": "ticket:TT-1", "charged": f"supplier:{B_ID}", "rootCause": None,
         "chain": [{"provider": B_ID, "ticket": "tb-1", "evidence": plain.services[0].outages[0].domain_evidence,
                    "saidBy": None, "at": None}]}]
    for a, b in zip(plain.services, caused.services, strict=True):
        assert (a.unavailable_seconds, a.by_domain, a.credit) == (b.unavailable_seconds, b.by_domain, b.credit)
        assert a.by_domain == {f"supplier:{B_ID}": 5 * 3600}
    assert [(p.supplier, p.penalty, p.repairs_missed) for p in plain.suppliers] == \
        [(p.supplier, p.penalty, p.repairs_missed) for p in caused.suppliers]
    assert {p.supplier: p.repairs_missed for p in caused.suppliers}[B_ID] == 1  # B missed, not C
    assert all(not p.repairs for p in caused.suppliers if p.supplier == C_ID)


def test_the_chain_follows_each_provider_and_ignores_what_others_say() -> None:
    outages = _b_outage((B_ID, C_ID, "tc-9"), (C_ID, D_ID, "td-4"), (OURS, "somebody", "x-1"))
    [o] = month_report(NOV, nov(30), outages, [], [SERVICE], COMMITMENTS).services[0].outages
    assert [c.provider for c in o.chain] == [B_ID, C_ID, D_ID] and o.root_cause == D_ID
    # a loop stops the chain
    [o] = month_report(NOV, nov(30), _b_outage((B_ID, C_ID, "tc-9"), (C_ID, B_ID, "tb-1")), [], [SERVICE],
                       COMMITMENTS).services[0].outages
    assert [c.provider for c in o.chain] == [B_ID, C_ID]
    # nobody charged but ourselves: no chain
    [o] = month_report(NOV, nov(30), [outage("k", nov(10, 8), nov(10, 9), responsible=Responsible(Domain.OURS),
                                             segment="seg-own")], [], [SERVICE], COMMITMENTS).services[0].outages
    assert o.chain == () and o.root_cause is None


def test_the_resolution_note_carries_the_root_cause_and_reads_back() -> None:
    note = ResolutionNote(ResolutionCode.SUPPLIER_NETWORK, C_ID, "tc-9").prefix() + " repaired by our supplier"
    assert note == f"resolution=supplierNetwork; rootCause={C_ID}; supplierTicket=tc-9; repaired by our supplier"
    assert parse_resolution_note(note) == ResolutionNote(ResolutionCode.SUPPLIER_NETWORK, C_ID, "tc-9")
    assert resolution_code_of({"note": [{"source": "seller", "text": note}]}) is ResolutionCode.SUPPLIER_NETWORK
    assert parse_resolution_note("resolution=sellerNetwork; rootCause=x; supplierTicket=y; words") == \
        ResolutionNote(ResolutionCode.SELLER_NETWORK)  # only a supplier's repair has a root cause
    assert parse_resolution_note("repaired") is None
    assert ResolutionNote(ResolutionCode.SUPPLIER_NETWORK).prefix() == "resolution=supplierNetwork;"
