"""Notifications: the outbox, mail delivery, recipients and message texts (utskick)."""
