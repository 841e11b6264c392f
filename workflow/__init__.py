"""The engine: tables, commands, delegation order, deadlines, audit chain (arbetsflöde)."""
