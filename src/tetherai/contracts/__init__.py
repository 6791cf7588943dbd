"""contracts layer (DESIGN.md §2)."""
