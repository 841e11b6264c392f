"""The scheduler: APScheduler as a clock over deadline rows."""
