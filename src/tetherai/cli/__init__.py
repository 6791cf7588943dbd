"""cli layer (DESIGN.md §2)."""
