"""Suppliers that sell through the MEF LSO Sonata APIs (MEF 87, 115, 123, 116)."""

from counterpoint.suppliers.mef_sonata.adapter import BuyerContact, BuyerDetails, SonataAdapter

__all__ = ["BuyerContact", "BuyerDetails", "SonataAdapter"]
