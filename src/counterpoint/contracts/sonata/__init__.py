"""Generated MEF Sonata contracts. Do not edit."""
