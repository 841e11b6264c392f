"""The REST API (Litestar): thin controllers over workflow commands."""
