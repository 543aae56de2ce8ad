"""Quote table and repository."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, ColumnElement, String
from sqlalchemy.engine import RowMapping

from counterpoint.core.quote.model import Quote, QuoteFilter, QuoteState
from counterpoint.storage.repository import ResourceRepository
from counterpoint.storage.schema import JSONDoc, UtcDateTime, resource_table

quote = resource_table(
    "quote",
    Column("external_id", String(128), nullable=True, index=True),
    Column("project_id", String(128), nullable=True, index=True),
    Column("quote_level", String(40), nullable=True, index=True),
    Column("instant", Boolean, nullable=False),
    Column("requested_completion_at", UtcDateTime, nullable=True),
    Column("expected_completion_at", UtcDateTime, nullable=True),
    Column("effective_completion_at", UtcDateTime, nullable=True),
    Column("answer_at", UtcDateTime, nullable=True),
    Column("firm_at", UtcDateTime, nullable=True),
    Column("valid_until", UtcDateTime, nullable=True),
    Column("due_at", UtcDateTime, nullable=True, index=True),  # next worker step; NULL once final
    Column("warnings", JSONDoc, nullable=False),  # product payload violations accepted (lenient policy)
)


class SqlQuotes(ResourceRepository[Quote]):
    table = quote
    noun = "quote"

    def state_of(self, obj: Quote) -> str:
        return obj.state.value

    def doc_of(self, obj: Quote) -> dict[str, Any]:
        return obj.doc

    def to_row(self, obj: Quote) -> dict[str, Any]:
        return {
            "external_id": obj.doc.get("externalId"),
            "project_id": obj.doc.get("projectId"),
            "quote_level": obj.doc.get("quoteLevel"),
            "instant": obj.instant,
            "requested_completion_at": obj.requested_completion_at,
            "expected_completion_at": obj.expected_completion_at,
            "effective_completion_at": obj.effective_completion_at,
            "answer_at": obj.answer_at,
            "firm_at": obj.firm_at,
            "valid_until": obj.valid_until,
            "due_at": obj.due_at,
            "warnings": obj.warnings,
        }

    def from_row(self, row: RowMapping) -> Quote:
        return Quote(
            id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"], channel=row["channel"],
            created_at=row["created_at"], updated_at=row["updated_at"], version=row["version"],
            state=QuoteState(row["state"]), doc=row["doc"], instant=row["instant"],
            requested_completion_at=row["requested_completion_at"],
            expected_completion_at=row["expected_completion_at"],
            effective_completion_at=row["effective_completion_at"], answer_at=row["answer_at"],
            firm_at=row["firm_at"], valid_until=row["valid_until"], due_at=row["due_at"],
            warnings=list(row["warnings"] or []),
        )

    async def search(self, buyer_id: str, f: QuoteFilter, *, offset: int, limit: int) -> tuple[list[Quote], int]:
        t = self.table
        where: list[ColumnElement[bool]] = []
        for column, value in ((t.c.state, f.state), (t.c.quote_level, f.quote_level),
                              (t.c.external_id, f.external_id), (t.c.project_id, f.project_id)):
            if value:
                where.append(column == value)
        for column, gt, lt in ((t.c.created_at, f.quote_date_gt, f.quote_date_lt),
                               (t.c.requested_completion_at, f.requested_completion_gt, f.requested_completion_lt),
                               (t.c.expected_completion_at, f.expected_completion_gt, f.expected_completion_lt),
                               (t.c.effective_completion_at, f.effective_completion_gt,
                                f.effective_completion_lt)):
            if gt is not None:
                where.append(column > gt)
            if lt is not None:
                where.append(column < lt)
        return await self.list(buyer_id, where, offset=offset, limit=limit)
