"""ledger layer (DESIGN.md §2)."""
