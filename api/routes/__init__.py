"""Controllers: each turns one request into one workflow command or one scoped query."""
