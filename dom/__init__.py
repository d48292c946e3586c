"""dom: the service wiring (settings, bootstrap, CLI, demo data)."""
