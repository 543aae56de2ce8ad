"""Rich rendering of the chain: a live panel per provider, and the joined timeline at the end."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from counterpoint.cli.views import styled
from counterpoint.demo.scenario import Line, ProviderState, when

_SEGMENT_STYLE = {"active": "green", "deliveredPendingAcceptance": "green", "inDelivery": "cyan",
                  "acknowledged": "white", "requested": "white", "unknown": "magenta", "awaitingBuyer": "magenta",
                  "cancelling": "yellow", "cancelled": "yellow", "failed": "red", "rejected": "red",
                  "ordering": "white", "testing": "blue", "pendingBuyerAction": "magenta"}


def _seg(state: str) -> str:
    return f"[{_SEGMENT_STYLE.get(state, 'white')}]{state}[/]"


def _day(iso_or_dt: object) -> str:
    return when(iso_or_dt) if iso_or_dt else "-"  # type: ignore[arg-type]


def provider_panel(st: ProviderState, correlation_id: str) -> Panel:
    orders = Table(expand=True, show_edge=False)
    for col in ("order", "from", "state", "item", "expected completion"):
        orders.add_column(col)
    for o in st.orders:
        item = o.items[0]
        orders.add_row(o.id[:8], o.buyer_id, styled(o.state.value), styled(item["state"]),
                       _day(item.get("expectedCompletionDate") or item.get("completionDate")))
    parts: list[object] = [orders]
    for comp in st.composites:
        if comp.correlation_id != correlation_id:
            continue
        segs = Table(title=f"orchestration {comp.id[:8]}: {_seg(comp.state.value)}", expand=True, show_edge=False)
        for col in ("segment", "provider", "state", "supplier says", "expected", "their ref"):
            segs.add_column(col)
        for s in comp.segments:
            segs.add_row(s.name, s.provider_id + (" (own)" if s.own else ""), _seg(s.state.value), s.raw_state or "-",
                         _day(s.expected_completion), (s.external_ref.value[:8] if s.external_ref else "-"))
        parts.append(segs)
    return Panel(Group(*parts), title=f"{st.key}: {st.name}", border_style="cyan")


def chain_view(states: dict[str, ProviderState], correlation_id: str, status: str) -> Group:
    """Every provider's orders and orchestrations in full (printed once, after the live view)."""
    return Group(*(provider_panel(st, correlation_id) for st in states.values()), f"[bold]{status}[/bold]")


def live_view(states: dict[str, ProviderState], correlation_id: str, status: str) -> Group:
    """One compact table for the live view: it fits an 80x24 terminal (one row per order and per segment)."""
    table = Table(expand=False, show_edge=False, pad_edge=False, box=None, header_style="bold")
    for col, width in (("who", 3), ("order / segment", 20), ("from / by", 20), ("state", 14), ("expected", 12)):
        table.add_column(col, max_width=width, no_wrap=True, overflow="ellipsis")
    for st in states.values():
        for o in st.orders:
            if o.correlation_id != correlation_id:
                continue
            item = o.items[0]
            table.add_row(st.key, f"order {o.id[:8]}", o.buyer_id, styled(item["state"]),
                          _when(item.get("expectedCompletionDate") or item.get("completionDate")))
        for comp in st.composites:
            if comp.correlation_id != correlation_id:
                continue
            for seg in comp.segments:
                table.add_row("", f"  {seg.name}", seg.provider_id,
                              _seg(seg.state.value), _when(seg.expected_completion))
    return Group(table, f"[bold]{status}[/bold]")


def _when(at: object) -> str:
    return when(at) if at else "-"  # type: ignore[arg-type]


def timeline_table(lines: list[Line], correlation_id: str, *, title: str | None = None) -> Table:
    table = Table(title=title or f"timeline of {correlation_id} across providers (profile clock)")
    table.add_column("when", no_wrap=True)
    table.add_column("who")
    table.add_column("what", overflow="fold")
    colours = {"A": "cyan", "B": "magenta", "C": "green"}
    for line in lines:
        label = Text(f"[{line.source}] ", style="dim") if line.source else Text("")
        table.add_row(when(line.at), f"[{colours.get(line.provider, 'white')}]{line.provider}[/]",
                      label + Text(line.what))
    return table


def completion_table(notes: list[str]) -> Table:
    table = Table(title="expected and actual completion", show_header=False)
    table.add_column("", overflow="fold")
    for note in notes:
        table.add_row(Text(note))
    return table


def ticket_live_view(rows: list[tuple[str, str, str, str, str]], status: str) -> Group:
    """The fault while it is worked on: one row per ticket, per supplier ticket followed, per visit (80x24)."""
    table = Table(expand=False, show_edge=False, pad_edge=False, box=None, header_style="bold")
    for col, width in (("who", 3), ("ticket", 22), ("from / ours", 20), ("state", 14), ("", 16)):
        table.add_column(col, max_width=width, no_wrap=True, overflow="ellipsis")
    for key, ticket, party, state, theirs in rows[:18]:
        table.add_row(key, ticket, party, styled(state), theirs)
    return Group(table, f"[bold]{status}[/bold]")


def ticket_timeline_table(lines: list[Line], title: str) -> Table:
    return timeline_table(lines, "", title=title)


def sla_table(rows: list[tuple[str, str]], title: str) -> Table:
    """Each provider's month in one line per service and per supplier (MonthReport.summary())."""
    table = Table(title=title, show_header=False)
    table.add_column("who", no_wrap=True)
    table.add_column("", overflow="fold")
    colours = {"A": "cyan", "B": "magenta", "C": "green"}
    for key, text in rows:
        table.add_row(f"[{colours.get(key, 'white')}]{key}[/]", Text(text))
    return table


def findings_table(rows: list[tuple[str, str, str, str]], title: str) -> Table:
    """Reconciliation on every provider: (provider, kind, status, what)."""
    table = Table(title=title)
    for col in ("who", "kind", "status", "what"):
        table.add_column(col, overflow="fold")
    for key, kind, status, what in rows:
        table.add_row(key, kind, status, Text(what))
    return table
