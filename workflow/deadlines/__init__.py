"""Deadlines: the Swedish working-day calendar, deadline rules and changes, the sweep (bevakningar)."""
