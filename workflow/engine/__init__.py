"""The engine (motor): commands, handlers, the unit of work, transition writers, guards, mandates, audit."""
