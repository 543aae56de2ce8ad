"""A non-MEF partner ("partner-json"): its own JSON API and our adapter for it.

`PartnerJsonAdapter` is the SupplierAdapter; `mapping` holds the vocabulary. The partner's emulator (an in-memory
stand-in, FastAPI) is counterpoint/emulators/partner_json.py, away from the production adapters.
"""

from counterpoint.suppliers.partner_json.adapter import PartnerJsonAdapter

__all__ = ["PartnerJsonAdapter"]
