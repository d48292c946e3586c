"""Request and response bodies, one module per resource (XIn / XOut / XPage)."""
