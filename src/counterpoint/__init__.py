"""counterpoint: MEF LSO Seller, Buyer and inter-provider orchestrator."""

__version__ = "0.1.0"
