"""Case types as data: states, transition tables, deadline policies (ärendetyper)."""
