"""api layer (DESIGN.md §2): REST under /api/v1, OpenAPI, one error shape."""
