"""Cases: opening them, the query functions for lists and case views, scoping and the logging of reads (ärenden)."""
