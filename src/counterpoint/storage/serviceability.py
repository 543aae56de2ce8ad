"""POQ table and repository. Address validations are not stored (MEF 121 defines no way to read one back)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, ColumnElement, String
from sqlalchemy.engine import RowMapping

from counterpoint.core.serviceability.model import Poq, PoqFilter, PoqState
from counterpoint.storage.repository import ResourceRepository
from counterpoint.storage.schema import JSONDoc, UtcDateTime, resource_table

poq = resource_table(
    "poq",
    Column("external_id", String(128), nullable=True, index=True),
    Column("project_id", String(128), nullable=True, index=True),
    Column("instant", Boolean, nullable=False),
    Column("requested_completion_at", UtcDateTime, nullable=True, index=True),
    Column("answer_at", UtcDateTime, nullable=True),
    Column("due_at", UtcDateTime, nullable=True, index=True),  # next worker step; NULL once final
    Column("warnings", JSONDoc, nullable=False),  # product payload violations accepted (lenient policy)
)


class SqlPoqs(ResourceRepository[Poq]):
    table = poq
    noun = "productOfferingQualification"

    def state_of(self, obj: Poq) -> str:
        return obj.state.value

    def doc_of(self, obj: Poq) -> dict[str, Any]:
        return obj.doc

    def to_row(self, obj: Poq) -> dict[str, Any]:
        return {
            "external_id": obj.doc.get("externalId"),
            "project_id": obj.doc.get("projectId"),
            "instant": obj.instant,
            "requested_completion_at": obj.requested_completion_at,
            "answer_at": obj.answer_at,
            "due_at": obj.due_at,
            "warnings": obj.warnings,
        }

    def from_row(self, row: RowMapping) -> Poq:
        return Poq(
            id=row["id"],
            buyer_id=row["buyer_id"],
            seller_id=row["seller_id"],
            channel=row["channel"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            version=row["version"],
            state=PoqState(row["state"]),
            doc=row["doc"],
            instant=row["instant"],
            requested_completion_at=row["requested_completion_at"],
            answer_at=row["answer_at"],
            due_at=row["due_at"],
            warnings=list(row["warnings"] or []),
        )

    async def search(self, buyer_id: str, f: PoqFilter, *, offset: int, limit: int) -> tuple[list[Poq], int]:
        t = self.table
        where: list[ColumnElement[bool]] = []
        if f.state:
            where.append(t.c.state == f.state)
        if f.external_id:
            where.append(t.c.external_id == f.external_id)
        if f.project_id:
            where.append(t.c.project_id == f.project_id)
        if f.requested_completion_gt:
            where.append(t.c.requested_completion_at >= f.requested_completion_gt)
        if f.requested_completion_lt:
            where.append(t.c.requested_completion_at <= f.requested_completion_lt)
        return await self.list(buyer_id, where, offset=offset, limit=limit)
