"""Browser tests of the console (headless Chromium driven by Playwright)."""
