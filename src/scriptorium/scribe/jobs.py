"""Job handlers (being built)."""
