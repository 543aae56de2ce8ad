"""Generated MEF Cantata contracts. Do not edit."""
