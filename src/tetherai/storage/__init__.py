"""storage layer (DESIGN.md §2)."""
