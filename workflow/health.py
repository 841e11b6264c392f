"""Readiness (driftklar): whether the database answers, for every entry point's health check."""

from __future__ import annotations

from sqlalchemy import text

from workflow.engine.uow import UnitOfWork


def database_answers(uow: UnitOfWork) -> bool:
    """Whether the database answers a query now."""
    try:
        uow.read(lambda conn: conn.execute(text("SELECT 1")).scalar_one())
    except Exception:  # any database failure means not ready
        return False
    return True
