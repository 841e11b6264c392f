"""Retention (gallring): the schedule the board decides, the purge of personal data past its time, its log."""
