"""The order lifecycle manager: handlers that open a unit of work, make domain calls, commit."""
