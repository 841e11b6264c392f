"""The demo municipality (demokommun)."""
