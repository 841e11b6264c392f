"""Import of a municipality's existing register and history from Excel and CSV (import)."""
