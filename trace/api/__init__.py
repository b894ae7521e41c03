"""The HTTP interface: JSON API under /api/v1, problem+json errors, OpenAPI at /schema."""
