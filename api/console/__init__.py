"""The operations console: static HTML, JS and CSS served at /console (no build step)."""
