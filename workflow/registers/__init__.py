"""Registers: providers, agreements, placements, deliveries and recurring controls (register)."""
