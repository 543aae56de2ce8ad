"""A non-MEF partner ("partner-json"): its own JSON API, our adapter for it, and an emulator of it for tests.

`PartnerJsonAdapter` is the SupplierAdapter; `mapping` holds the vocabulary; `emulator` is an in-memory
stand-in for the partner (FastAPI), imported on demand so production code does not load it.
"""

from counterpoint.suppliers.partner_json.adapter import PartnerJsonAdapter

__all__ = ["PartnerJsonAdapter"]
