"""Repositories: translate between rows and the domain types of ``models``."""
