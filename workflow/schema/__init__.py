"""Tables (one typed module), column types, the database engines and Alembic migrations (schema)."""
