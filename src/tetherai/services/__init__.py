"""services layer: use cases (DESIGN.md §2)."""
