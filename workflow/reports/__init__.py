"""Board reports (rapporter till nämnden) computed from case data, never typed in.

Kept import-free so that ``workflow.schema.tables`` can import :mod:`workflow.schema.tables`
without a cycle; the report catalogue lives in :mod:`workflow.reports.catalogue`.
"""
