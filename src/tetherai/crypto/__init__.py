"""crypto layer (DESIGN.md §2)."""
