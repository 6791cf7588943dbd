"""identity layer (DESIGN.md §2)."""
