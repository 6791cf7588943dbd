"""ordering layer (DESIGN.md §2)."""
