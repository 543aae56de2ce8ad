"""`counterpoint sla report`: a month's SLA and OLA figures as Rich tables, JSON, and each figure's evidence."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from counterpoint.core.sla.attribution import MonthReport, ResolvedOutage, ServiceFigure, SupplierFigure
from counterpoint.core.sla.model import OURS, iso

SHORT_ID = 8  # characters of an id shown in a terminal's tables (as `counterpoint orders`)


def _yes(value: bool | None) -> str:
    return "-" if value is None else "[green]yes[/]" if value else "[red]no[/]"


def _money(value: Any, currency: str) -> str:
    return "-" if value is None else f"{value} {currency}"


def _min(seconds: int) -> str:
    return f"{seconds / 60:.2f}".rstrip("0").rstrip(".")


def _id(value: str, short: bool) -> str:
    return value[:SHORT_ID] if short and len(value) > SHORT_ID + 4 else value


def services_table(report: MonthReport, *, short: bool = False) -> Table:
    table = Table(title=f"customer services, {report.month} (SLA)")
    for col in ("service", "offering", "down min", "charged to (min)", "root cause", "not counted (maint. / cust.)",
                "avail. %", "target %", "met", "credit"):
        table.add_column(col, overflow="fold")
    for s in report.services:
        charged = ", ".join(f"{who} {_min(secs)}" for who, secs in sorted(s.by_domain.items())) or "-"
        causes = ", ".join(" -> ".join(c.provider for c in o.chain) for o in s.outages if o.root_cause) or "-"
        table.add_row(_id(s.service_id, short), s.offering_id or "-", _min(s.unavailable_seconds), charged, causes,
                      f"{_min(s.excluded_maintenance_seconds)} / {_min(s.excluded_customer_seconds)}",
                      str(s.availability_pct), str(s.target_pct) if s.target_pct is not None else "-",
                      _yes(s.met), _money(s.credit, s.currency) + (f" ({s.credit_pct}%)" if s.credit_pct else ""))
    return table


def suppliers_table(report: MonthReport, *, short: bool = False) -> Table:
    table = Table(title=f"suppliers, {report.month} (OLA)")
    for col in ("supplier", "repair h", "repairs met", "missed", "pending", "segments (avail. %)", "penalty"):
        table.add_column(col, overflow="fold")
    for s in report.suppliers:
        segments = ", ".join(f"{_id(g.segment_id, short)} {_pct(g.availability)}"
                             f"{'' if g.met in (None, True) else ' [red]<[/]'}" for g in s.segments) or "-"
        table.add_row(s.supplier, str(s.repair_hours) if s.repair_hours is not None else "no OLA",
                      str(s.repairs_met), str(s.repairs_missed),
                      str(sum(r.status == "pending" for r in s.repairs)), segments, _money(s.penalty, s.currency))
    return table


def _pct(value: Any) -> str:
    return f"{float(value):.4f}"


def _outage_tree(parent: Tree, o: ResolvedOutage) -> None:
    by_id = {e.id: e for e in o.outage.evidence}

    def cite(label: str, ev_id: str | None, value: str) -> None:
        e = by_id.get(ev_id) if ev_id else None
        clock = "our clock" if e is not None and e.stamped_by == OURS else f"{e.stamped_by if e else ''}'s clock"
        source = "us" if e is not None and e.source == OURS else e.source if e else ""
        because = (f"{e.kind.value} {e.reference} from {source}, stamped {iso(e.at)} by {clock}, received "
                   f"{iso(e.received_at)}") if e else "no evidence: recorded value"
        parent.add(Text(f"{label}: {value}  <- {because}"))

    cite("start (rule start)", o.start_evidence, iso(o.start))
    cite("end (rule end)", o.end_evidence, iso(o.end) if o.end else "open")
    if o.responsible.supplier is not None:
        cite("supplier knew (rule ola-repair)", o.repair_start_evidence or o.start_evidence, iso(o.repair_start))
    cite("repair end (rule repair)", o.repair_evidence, iso(o.repair_end) if o.repair_end else "open")
    cite("responsible (rule domain)", o.domain_evidence, str(o.responsible))
    if o.root_cause:
        for link in o.chain[1:]:
            cite(f"root cause (rule root-cause), named by {link.said_by}", link.evidence,
                 f"{link.provider}, its ticket {link.ticket}")
    for note in o.notes:
        parent.add(Text(f"note: {note}", style="yellow"))


def service_chain(s: ServiceFigure, rules: dict[str, str]) -> Tree:
    tree = Tree(f"[bold]{s.service_id}[/]: {s.availability_pct}% "
                f"({_min(s.unavailable_seconds)} of {_min(s.month_seconds)} min counted)")
    outages = {o.id: o for o in s.outages}
    slices = tree.add("unavailable time (rules union, earliest, customer, maintenance)")
    for sl in s.slices:
        what = "counted" if sl.counted else f"not counted: {sl.excluded_by}"
        also = f", also down: {', '.join(outages[i].outage.key for i in sl.also_down)}" if sl.also_down else ""
        slices.add(Text(f"{iso(sl.start)} - {iso(sl.end)}  {_min(sl.seconds)} min  {outages[sl.outage_id].outage.key}"
                        f"  {sl.responsible}  {what}{also}"))
    for o in s.outages:
        _outage_tree(tree.add(f"outage {o.outage.key} ({o.id}) on {o.outage.segment_id or 'the service'}, "
                              f"{o.outage.impact.value}"), o)
    for w in s.windows:
        tree.add(Text(f"maintenance {w.notice_ref} by {w.provider}: {iso(w.start)} - {iso(w.end)} "
                      f"on {', '.join((*w.services, *w.segments))}"))
    cited = tree.add("rules")
    for name in s.rules:
        cited.add(Text(f"{name}: {rules.get(name, '')}"))
    return tree


def supplier_chain(s: SupplierFigure, rules: dict[str, str]) -> Tree:
    tree = Tree(f"[bold]{s.supplier}[/]: penalty {_money(s.penalty, s.currency)}")
    for r in s.repairs:
        tree.add(Text(f"repair of outage {r.outage_id} on {r.segment_id or '-'}: {_min(r.repair_seconds)} min "
                      f"(limit {_min(r.limit_seconds) if r.limit_seconds is not None else '-'}) {r.status}; "
                      f"start evidence {r.evidence[0]}, repair evidence {r.evidence[1]}"))
    for g in s.segments:
        tree.add(Text(f"segment {g.segment_id}: down {_min(g.down_seconds)} min (maintenance excluded "
                      f"{_min(g.excluded_maintenance_seconds)}), {_pct(g.availability)}%, penalty "
                      f"{_money(g.penalty, s.currency)}; outages {', '.join(g.outages) or '-'}"))
    if s.repairs_missed and s.penalty is not None:
        tree.add(Text(f"missed repairs: {s.repairs_missed}, each owing the OLA's missed-repair penalty"))
    cited = tree.add("rules")
    for name in s.rules:
        cited.add(Text(f"{name}: {rules.get(name, '')}"))
    return tree


def report_view(report: MonthReport, *, evidence: bool, short_ids: bool = False) -> RenderableType:
    """The tables (ids cut to their start when `short_ids`, as on a terminal) and, with `evidence`, each
    figure's chain in full."""
    parts: list[RenderableType] = [
        Text(f"SLA report {report.month}, as of {iso(report.as_of)}", style="bold"),
        services_table(report, short=short_ids), suppliers_table(report, short=short_ids)]
    skewed = [o for o in report.offsets.values() if o.offset or o.ignored]
    if skewed:
        parts.append(Text("clock offsets (rule skew): " + "; ".join(
            f"{o.clock} {o.offset.total_seconds():+.0f} s from {len(o.pairs)} pairs"
            f"{f', {len(o.ignored)} past the bound' if o.ignored else ''}" for o in skewed)))
    if evidence:
        parts += [service_chain(s, report.rules) for s in report.services]
        parts += [supplier_chain(s, report.rules) for s in report.suppliers]
    return Group(*parts)
