"""Rich rendering of the chain: a live panel per provider, and the joined timeline at the end."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from counterpoint.cli.views import styled
from counterpoint.demo.scenario import Line, ProviderState

_SEGMENT_STYLE = {"active": "green", "deliveredPendingAcceptance": "green", "inDelivery": "cyan",
                  "acknowledged": "white", "requested": "white", "unknown": "magenta", "awaitingBuyer": "magenta",
                  "cancelling": "yellow", "cancelled": "yellow", "failed": "red", "rejected": "red",
                  "ordering": "white", "testing": "blue", "pendingBuyerAction": "magenta"}


def _seg(state: str) -> str:
    return f"[{_SEGMENT_STYLE.get(state, 'white')}]{state}[/]"


def _day(iso_or_dt: object) -> str:
    text = str(iso_or_dt or "")
    return text[:16].replace("T", " ") if text else "-"


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
    return Group(*(provider_panel(st, correlation_id) for st in states.values()), f"[bold]{status}[/bold]")


def timeline_table(lines: list[Line], correlation_id: str) -> Table:
    table = Table(title=f"timeline of {correlation_id} across providers (profile clock)")
    table.add_column("when")
    table.add_column("who")
    table.add_column("what", overflow="fold")
    colours = {"A": "cyan", "B": "magenta", "C": "green"}
    for line in lines:
        table.add_row(_day(line.at.isoformat()), f"[{colours.get(line.provider, 'white')}]{line.provider}[/]",
                      line.what)
    return table
