"""Repositories: translate between rows and the domain types of ``models``."""

# ids per ``IN (...)`` query: SQLite caps the bound parameters of one statement
IN_CHUNK = 5_000
