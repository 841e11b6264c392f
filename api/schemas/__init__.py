"""Request and response schemas (msgspec), kept apart from the table models."""
